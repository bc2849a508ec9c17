import { ConfigError, type Sampler } from '@oreal-ts/core';
import { readJsonlFile } from '@oreal-ts/core/node';
import { createFakeTokenRewardModel, createFakeVerifier } from '@oreal-ts/core/testing';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createTrainer,
  readHeldOut,
  REWARD_MODEL_HELD_OUT_FILE,
  withoutTiming,
  type StepMetrics,
  type TrainerConfigInput,
} from '../src/index';
import {
  createFileTabularPolicy,
  createLetterTokenizer,
  createMiniOrealObjective,
  createPolicySampler,
  letterProblems,
  temporaryDirs,
} from './support';

const tempDir = temporaryDirs('oreal-rm-training-');

const baseConfig: TrainerConfigInput = {
  seed: 5,
  steps: 3,
  batchProblems: 2,
  rolloutsPerProblem: 6,
  actorFreezeSteps: 1,
  sampling: { maxNewTokens: 10 },
  evalEvery: 0,
  evalAtStart: false,
  checkpoint: { every: 0, atEnd: true },
  trajectoryDumpEvery: 0,
};

async function setup(config: TrainerConfigInput, options: { runDir?: string; creditMarker?: boolean } = {}) {
  const tokenizer = createLetterTokenizer();
  const policy = createFileTabularPolicy({ vocabSize: tokenizer.vocabSize, learningRate: 0.3 });
  const reference = createFileTabularPolicy({ vocabSize: tokenizer.vocabSize, id: 'reference' });
  const inner = createPolicySampler(policy, tokenizer);
  const sampleCalls: number[] = [];
  const sampler: Sampler = {
    ...inner,
    sample: (problems, sampleOptions) => {
      sampleCalls.push(sampleOptions.n);
      return inner.sample(problems, sampleOptions);
    },
  };
  const rewardModel = createFakeTokenRewardModel();
  const runDir = options.runDir ?? (await tempDir());
  const trainer = createTrainer({
    tokenizer,
    policy,
    reference,
    sampler,
    verifier: createFakeVerifier({ decide: (_problem, text) => /[ab]/.test(text) }),
    objective: createMiniOrealObjective(),
    tokenRewardModel: rewardModel,
    problems: letterProblems(8),
    evalProblems: letterProblems(4),
    runDir,
    config,
    // "first wrong" = the first character that is neither a nor b (a toy marker)
    ...(options.creditMarker ? { creditMarker: (_p: unknown, text: string) => Math.max(0, text.search(/[^ab]/)) } : {}),
  });
  return { trainer, rewardModel, sampleCalls, runDir };
}

async function stepLines(file: string): Promise<StepMetrics[]> {
  return (await readJsonlFile(file))
    .map((record) => record.value as StepMetrics)
    .filter((line) => line.type === 'step');
}

describe('reward-model training options', () => {
  it("trainOn 'all' trains on every non-empty rollout of the step, stepsPerStep times", async () => {
    const { trainer, rewardModel } = await setup({ ...baseConfig, rewardModel: { trainOn: 'all', stepsPerStep: 3 } });
    const metrics = await trainer.step();
    const trains = rewardModel.calls.filter((call) => call.method === 'train');
    expect(trains).toHaveLength(3);
    const rows = (trains[0]?.args[0] as { responseIds: number[][] }).responseIds;
    expect(rows.length).toBe(metrics.rollouts); // B·K = 12, none empty here
    expect(trains[0]?.args[1]).toHaveLength(metrics.rollouts);
    expect((trains[0]?.args[1] as boolean[]).filter(Boolean).length).toBe(metrics.rolloutsCorrect);
    expect(metrics.rewardModel).toMatchObject({ trainedRows: metrics.rollouts, steps: 3 });
  });

  it('the reference default trains once on the selected rows and writes the lines it always wrote', async () => {
    const { trainer, rewardModel } = await setup(baseConfig);
    const metrics = await trainer.step();
    const trains = rewardModel.calls.filter((call) => call.method === 'train');
    expect(trains).toHaveLength(1);
    expect((trains[0]?.args[0] as { responseIds: number[][] }).responseIds.length).toBe(metrics.selectedRollouts);
    expect(Object.keys(metrics.rewardModel ?? {}).sort()).toEqual(['accuracy', 'gradNorm', 'loss', 'meanTokenWeight']);
  });

  it('refuses a held-out set without evaluation problems', async () => {
    const tokenizer = createLetterTokenizer();
    const policy = createFileTabularPolicy({ vocabSize: tokenizer.vocabSize });
    expect(() =>
      createTrainer({
        tokenizer,
        policy,
        reference: policy,
        sampler: createPolicySampler(policy, tokenizer),
        verifier: createFakeVerifier({ decide: () => true }),
        objective: createMiniOrealObjective(),
        tokenRewardModel: createFakeTokenRewardModel(),
        problems: letterProblems(2),
        runDir: '/tmp/never-written',
        config: { ...baseConfig, rewardModel: { heldOutProblems: 2 } },
      }),
    ).toThrow(ConfigError);
  });
});

describe('reward-model held-out diagnostics', () => {
  const withHeldOut: TrainerConfigInput = { ...baseConfig, rewardModel: { heldOutProblems: 2, heldOutRolloutsPerProblem: 3 } };

  it('samples the held-out set once, scores it every step and keeps training unchanged', async () => {
    const { trainer, sampleCalls, runDir } = await setup(withHeldOut, { creditMarker: true });
    await trainer.run();
    expect(sampleCalls.filter((n) => n === 3)).toHaveLength(1);
    const file = await readHeldOut(join(runDir, REWARD_MODEL_HELD_OUT_FILE));
    expect(file?.sampledAfterStep).toBe(0);
    const rows = file?.rows ?? [];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(6);
    // every wrong held-out rollout has a marker from the toy rule; right ones none
    for (const row of rows) expect(row.marker === null).toBe(row.positive);
    const lines = await stepLines(trainer.metricsFile);
    expect(lines).toHaveLength(3);
    const negatives = rows.filter((r) => !r.positive).length;
    for (const line of lines) {
      const heldOut = line.rewardModel?.heldOut;
      expect(heldOut?.rollouts).toBe(rows.length);
      // the fake scores 0 everywhere: logit 0 reads "wrong", so exactly the negatives are right
      expect(heldOut?.accuracy).toBeCloseTo(negatives / rows.length, 12);
      if (negatives > 0) expect(heldOut?.credit?.rollouts).toBe(negatives);
    }
    // credit on the selected negatives: none on the actor-frozen step (no weights), then measured
    expect(lines[0]?.rewardModel?.credit).toBeNull();
    const credit = lines[1]?.rewardModel?.credit;
    expect(credit?.rollouts).toBe(lines[1]?.selectedNegative);
    expect(credit?.onFirstWrong).toBeCloseTo(credit?.uniformOnFirstWrong as number, 12); // ω ≡ 1

    const plain = await setup(baseConfig);
    await plain.trainer.run();
    const plainLines = await stepLines(plain.trainer.metricsFile);
    const strip = (line: StepMetrics) => {
      const { rewardModel, ...rest } = withoutTiming(line);
      const { heldOut: _h, credit: _c, ...rm } = rewardModel ?? {};
      return { ...rest, rewardModel: rm };
    };
    expect(lines.map(strip)).toEqual(plainLines.map(strip));
  });

  it('a resumed run reads the held-out set back instead of sampling a new one', async () => {
    const first = await setup({ ...withHeldOut, steps: 2 });
    await first.trainer.run();
    expect(existsSync(join(first.runDir, REWARD_MODEL_HELD_OUT_FILE))).toBe(true);
    const second = await setup({ ...withHeldOut, steps: 3 }, { runDir: first.runDir });
    await second.trainer.resume();
    await second.trainer.run();
    expect(second.sampleCalls.filter((n) => n === 3)).toHaveLength(0);
    const lines = await stepLines(second.trainer.metricsFile);
    expect(lines.map((line) => line.rewardModel?.heldOut?.rollouts)).toEqual(
      lines.map(() => lines[0]?.rewardModel?.heldOut?.rollouts),
    );
  });

  it('records the diagnostics every N steps and at the last one', async () => {
    const { trainer } = await setup({ ...withHeldOut, steps: 3, rewardModel: { ...withHeldOut.rewardModel, diagnosticsEvery: 2 } });
    await trainer.run();
    const lines = await stepLines(trainer.metricsFile);
    expect(lines.map((line) => line.rewardModel?.heldOut !== undefined)).toEqual([false, true, true]);
  });
});
