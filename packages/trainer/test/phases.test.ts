import { createFakeTokenRewardModel, createFakeVerifier } from '@oreal-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { TrainingDivergedError } from '@oreal-ts/core';
import {
  createTrainer,
  defaultPhases,
  selectPhase,
  type PublishInput,
  type TrainerPhases,
} from '../src/index';
import {
  createFileTabularPolicy,
  createLetterTokenizer,
  createMiniOrealObjective,
  createPolicySampler,
  letterProblems,
  temporaryDirs,
} from './support';

const tempDir = temporaryDirs('oreal-phases-');

async function setup(phases: Partial<TrainerPhases>, steps = 3) {
  const tokenizer = createLetterTokenizer();
  const policy = createFileTabularPolicy({ vocabSize: tokenizer.vocabSize, learningRate: 0.3 });
  const reference = createFileTabularPolicy({ vocabSize: tokenizer.vocabSize, id: 'reference' });
  return createTrainer({
    tokenizer,
    policy,
    reference,
    sampler: createPolicySampler(policy, tokenizer),
    verifier: createFakeVerifier({ decide: (_problem, text) => /[ab]/.test(text) }),
    objective: createMiniOrealObjective(),
    tokenRewardModel: createFakeTokenRewardModel(),
    problems: letterProblems(8),
    runDir: await tempDir(),
    phases,
    config: {
      seed: 11,
      steps,
      batchProblems: 2,
      rolloutsPerProblem: 6,
      actorFreezeSteps: 1,
      sampling: { maxNewTokens: 12 },
      evalEvery: 0,
      checkpoint: { every: 2, atEnd: false },
      trajectoryDumpEvery: 0,
    },
  });
}

describe('trainer phases', () => {
  it('calls a replaced publish phase once per step, after the step is counted, with the update flag', async () => {
    const calls: PublishInput[] = [];
    const trainer = await setup({
      publish: async (input) => {
        calls.push(input);
        expect(trainer.state.step).toBe(input.step);
      },
    });
    const result = await trainer.run();
    expect(result.steps).toBe(3);
    expect(calls.map((call) => call.step)).toEqual([1, 2, 3]);
    expect(calls[0]?.updated).toBe(false); // actor-frozen step 1
    expect(trainer.state.policyUpdates).toBe(calls.filter((call) => call.updated).length);
  });

  it('uses a replaced select phase and keeps the others (an empty selection skips the update)', async () => {
    let selects = 0;
    const trainer = await setup({
      select: (input) => {
        selects++;
        const chosen = selectPhase(input);
        expect(chosen.rows.length).toBe(chosen.batch.responseIds.length);
        return { rows: [], batch: { promptIds: [], responseIds: [] }, positive: [] };
      },
    });
    const first = await trainer.step();
    const second = await trainer.step();
    expect(selects).toBe(2);
    expect([first.skipped, second.skipped]).toEqual(['empty-batch', 'empty-batch']);
    expect(trainer.state.policyUpdates).toBe(0);
  });

  it('runs the checkpoint phase after every step and lets a replacement turn periodic checkpoints off', async () => {
    const seen: number[] = [];
    const trainer = await setup(
      {
        checkpoint: async (input) => {
          seen.push(input.step);
          return null;
        },
      },
      4,
    );
    await trainer.run();
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(trainer.state.lastCheckpoint).toBeNull();
  });

  it('still stops on a non-finite loss reported by a replaced loss phase', async () => {
    const trainer = await setup({
      loss: async (input) => ({ ...(await defaultPhases.loss(input)), loss: Number.NaN }),
    });
    await trainer.step(); // actor-frozen: no loss phase
    await expect(trainer.step()).rejects.toSatisfy((error) => TrainingDivergedError.is(error));
    expect(trainer.state.diverged).toBe(true);
  });
});
