import { CheckpointError, TrainingDivergedError, type Objective, type TrainablePolicy } from '@oreal-ts/core';
import { createFakeVerifier } from '@oreal-ts/core/testing';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTrainer, type TrainerConfigInput } from '../src/index';
import {
  createFileTabularPolicy,
  createLetterTokenizer,
  createMiniOrealObjective,
  createPolicySampler,
  letterProblems,
  temporaryDirs,
} from './support';

const tempDir = temporaryDirs('oreal-fail-');

const config: TrainerConfigInput = {
  seed: 5,
  steps: 6,
  batchProblems: 4,
  rolloutsPerProblem: 4,
  actorFreezeSteps: 0,
  // every token stops: each response is one token; "a" or "b" is right (mixed groups on every step)
  sampling: { maxNewTokens: 2, stopTokenIds: [0, 1, 2, 3, 4] },
  evalEvery: 0,
  checkpoint: { every: 2, keepLast: 3 },
  trajectoryDumpEvery: 0,
};

function build(
  runDir: string,
  options: { objective?: Objective; wrapPolicy?: (policy: TrainablePolicy) => TrainablePolicy } = {},
) {
  const tokenizer = createLetterTokenizer();
  const inner = createFileTabularPolicy({ vocabSize: tokenizer.vocabSize, learningRate: 0.05 });
  const policy = options.wrapPolicy ? options.wrapPolicy(inner) : inner;
  const trainer = createTrainer({
    policy,
    reference: createFileTabularPolicy({ vocabSize: tokenizer.vocabSize, id: 'reference' }),
    sampler: createPolicySampler(inner, tokenizer),
    verifier: createFakeVerifier({ decide: (_p, text) => /[ab]/.test(text) }),
    objective: options.objective ?? createMiniOrealObjective(),
    tokenizer,
    problems: letterProblems(8),
    config,
    runDir,
  });
  return { trainer, policy: inner };
}

/** The mini OREAL objective, returning a NaN loss from its `nanFrom`-th compute call on. */
function poisonedObjective(nanFrom: number): Objective {
  const inner = createMiniOrealObjective();
  let calls = 0;
  return {
    ...inner,
    compute(rows) {
      calls++;
      const result = inner.compute(rows);
      return calls >= nanFrom ? { ...result, loss: Number.NaN } : result;
    },
  };
}

describe('divergence', () => {
  it('a NaN loss stops the run with TrainingDivergedError and leaves the last good checkpoint latest and loadable', async () => {
    const runDir = await tempDir();
    const { trainer } = build(runDir, { objective: poisonedObjective(5) });
    const error = await trainer.run().catch((e: unknown) => e);
    expect(TrainingDivergedError.is(error)).toBe(true);
    expect((error as TrainingDivergedError).step).toBe(5);
    expect((error as Error).message).toMatch(/loss is NaN/);
    expect((error as Error).message).toContain('step-000004');
    expect(trainer.state.diverged).toBe(true);
    // nothing may be saved over the good checkpoint, and training cannot go on
    await expect(trainer.saveCheckpoint('signal')).rejects.toThrow(/refusing to save/);
    await expect(trainer.step()).rejects.toThrow(TrainingDivergedError);
    expect(await readFile(join(runDir, 'checkpoints', 'latest'), 'utf8')).toBe('step-000004\n');
    const metrics = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n');
    expect(metrics).toHaveLength(4); // the diverged step wrote no line

    const fresh = build(runDir);
    await fresh.trainer.resume();
    expect(fresh.trainer.state.step).toBe(4);
    expect(fresh.policy.logits().some((v) => v !== 0)).toBe(true);
    expect(Number.isFinite(fresh.policy.logits().reduce((s, v) => s + v, 0))).toBe(true);
  });

  it('an infinite gradient norm stops the run too', async () => {
    const runDir = await tempDir();
    let applies = 0;
    const { trainer } = build(runDir, {
      wrapPolicy: (policy) => ({
        ...policy,
        async applyGradients() {
          const report = await policy.applyGradients();
          return ++applies === 3 ? { ...report, gradNorm: Number.POSITIVE_INFINITY } : report;
        },
      }),
    });
    const error = await trainer.run().catch((e: unknown) => e);
    expect(TrainingDivergedError.is(error)).toBe(true);
    expect((error as TrainingDivergedError).quantity).toBe('grad norm');
    expect(await readFile(join(runDir, 'checkpoints', 'latest'), 'utf8')).toBe('step-000002\n');
  });
});

describe('engines that do not report the gradient norm', () => {
  it('a NaN gradient norm (not reported) is recorded as unknown and the run goes on', async () => {
    const runDir = await tempDir();
    const { trainer } = build(runDir, {
      wrapPolicy: (policy) => ({
        ...policy,
        async applyGradients() {
          return { ...(await policy.applyGradients()), gradNorm: Number.NaN };
        },
      }),
    });
    const result = await trainer.run();
    expect(result.steps).toBe(trainer.state.step);
    expect(trainer.state.step).toBeGreaterThan(1);
    const lines = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const updated = lines.filter((line) => line.type !== 'eval' && line.gradNorm !== undefined);
    expect(updated.length).toBeGreaterThan(0);
    expect(updated.every((line) => line.gradNorm === null)).toBe(true);
  });
});

describe('corrupt checkpoints', () => {
  async function trainedRun(): Promise<string> {
    const runDir = await tempDir();
    await build(runDir).trainer.run(); // checkpoints at steps 2, 4, 6
    return runDir;
  }
  const checkpoint = (runDir: string, step: number) =>
    join(runDir, 'checkpoints', `step-${String(step).padStart(6, '0')}`);

  it.each([
    ['malformed JSON', '{"format": "oreal-ts/trainer-state", "step": ', /not valid JSON/],
    [
      'a wrong field',
      JSON.stringify({ format: 'oreal-ts/trainer-state', version: 1, step: -1 }),
      /trainer-state\.json: field/,
    ],
  ])(
    'refuses a state file with %s, and the previous checkpoint still loads',
    async (_name, content, message) => {
      const runDir = await trainedRun();
      await writeFile(join(checkpoint(runDir, 6), 'trainer-state.json'), content);
      const { trainer, policy } = build(runDir);
      const error = await trainer.resume().catch((e: unknown) => e);
      expect(CheckpointError.is(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/resume from an earlier one/);
      expect(trainer.state.step).toBe(0);
      await trainer.resume(checkpoint(runDir, 4));
      expect(trainer.state.step).toBe(4);
      expect(policy.logits().some((v) => v !== 0)).toBe(true);
    },
  );

  it('refuses a checkpoint without a state file', async () => {
    const runDir = await trainedRun();
    await rm(join(checkpoint(runDir, 6), 'trainer-state.json'));
    await expect(build(runDir).trainer.resume()).rejects.toThrow(/cannot read trainer-state\.json/);
  });

  it('refuses a checkpoint whose policy fails to load, and the previous one still loads', async () => {
    const runDir = await trainedRun();
    await writeFile(join(checkpoint(runDir, 6), 'policy', 'tabular.json'), '{"theta": [1, 2]}');
    const { trainer } = build(runDir);
    const error = await trainer.resume().catch((e: unknown) => e);
    expect(CheckpointError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/policy could not be loaded/);
    await trainer.resume(checkpoint(runDir, 4));
    expect(trainer.state.step).toBe(4);
    // and training continues from there
    await trainer.run();
    expect(trainer.state.step).toBe(6);
  });

  it('says so when there is nothing to resume', async () => {
    await expect(build(await tempDir()).trainer.resume()).rejects.toThrow(/no checkpoint found/);
  });
});
