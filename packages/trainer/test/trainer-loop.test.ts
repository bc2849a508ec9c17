import {
  ConfigError,
  type Problem,
  type Rollout,
  type Sampler,
  type TokenRewardModel,
  type Verifier,
} from '@oreal-ts/core';
import {
  createFakeObjective,
  createFakeSampler,
  createFakeTokenRewardModel,
  createFakeTokenizer,
  createFakeVerifier,
  createTabularPolicy,
} from '@oreal-ts/core/testing';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTrainer, type CreateTrainerOptions, type StepMetrics } from '../src/index';
import {
  createFileTabularPolicy,
  createLetterTokenizer,
  createMiniOrealObjective,
  createPolicySampler,
  letterProblems,
  temporaryDirs,
} from './support';

const tempDir = temporaryDirs('oreal-loop-');

/** Components that append to one shared event log. */
function recordedSetup(events: string[], decide: (text: string) => boolean = (text) => text.startsWith('a')) {
  const tokenizer = createLetterTokenizer();
  const policy = createFileTabularPolicy({ vocabSize: tokenizer.vocabSize, events, learningRate: 0.3 });
  const reference = createFileTabularPolicy({ vocabSize: tokenizer.vocabSize, events, id: 'reference' });
  const innerVerifier = createFakeVerifier({ decide: (_problem, text) => decide(text) });
  const verifier: Verifier = {
    ...innerVerifier,
    verify: (problem, response) => (events.push('verifier.verify'), innerVerifier.verify(problem, response)),
  };
  const innerRm = createFakeTokenRewardModel();
  const tokenRewardModel: TokenRewardModel = {
    ...innerRm,
    tokenWeights: (batch, positive) => (
      events.push('rm.tokenWeights'),
      innerRm.tokenWeights(batch, positive)
    ),
    train: (batch, positive) => (events.push('rm.train'), innerRm.train(batch, positive)),
  };
  return {
    tokenizer,
    policy,
    reference,
    sampler: createPolicySampler(policy, tokenizer, events),
    verifier,
    objective: createMiniOrealObjective({ events }),
    tokenRewardModel,
  };
}

const baseConfig = {
  seed: 3,
  steps: 4,
  batchProblems: 2,
  rolloutsPerProblem: 4,
  actorFreezeSteps: 2,
  sampling: { maxNewTokens: 3 },
  evalEvery: 0,
  checkpoint: { every: 0, atEnd: false },
  trajectoryDumpEvery: 0,
};

describe('the RL step', () => {
  it('calls the components in the order of oreal-method.md, freezing the actor for the first steps', async () => {
    const events: string[] = [];
    const setup = recordedSetup(events, (text) => /[ab]/.test(text));
    const trainer = createTrainer({
      ...setup,
      problems: letterProblems(8),
      config: {
        ...baseConfig,
        batchProblems: 4,
        sampling: { maxNewTokens: 3, stopTokenIds: [0, 1, 2, 3, 4] },
      },
      runDir: await tempDir(),
    });
    const perStep: string[][] = [];
    const metrics: StepMetrics[] = [];
    for (let i = 0; i < 4; i++) {
      events.length = 0;
      metrics.push(await trainer.step());
      // collapse repeated verifier calls for readability
      perStep.push(
        events.filter((e, j) => !(e === 'verifier.verify' && events[j - 1] === 'verifier.verify')),
      );
    }
    const kept = metrics.map((m) => m.selectedRollouts > 0);
    // the seeded draws below keep at least one group on every step (checked, so the order assertions bite)
    expect(kept).toEqual([true, true, true, true]);
    // frozen steps: only the reward model trains (reference log-probs and weights are not needed)
    const frozen = ['sampler.sample', 'verifier.verify', 'objective.select', 'rm.train'];
    expect(perStep[0]).toEqual(frozen);
    expect(perStep[1]).toEqual(frozen);
    const updating = [
      'sampler.sample',
      'verifier.verify',
      'objective.select',
      'reference.logProbs',
      'rm.tokenWeights',
      'rm.train',
      'policy.accumulateGradients',
      'objective.compute',
      'policy.applyGradients',
    ];
    expect(perStep[2]).toEqual(updating);
    expect(perStep[3]).toEqual(updating);
    expect(metrics.map((m) => m.skipped)).toEqual(['actor-frozen', 'actor-frozen', null, null]);
    expect(metrics[2]?.loss).toEqual(expect.any(Number));
    expect(metrics[2]?.lossParts).toHaveProperty('positive');
    expect(metrics[2]?.kl).toEqual(expect.any(Number));
    expect(metrics[0]?.rewardModel).toMatchObject({
      loss: Math.log(2),
      accuracy: 0.5,
      meanTokenWeight: null,
    });
    expect(metrics[2]?.rewardModel).toMatchObject({ meanTokenWeight: 1 });
    expect(trainer.state.policyUpdates).toBe(2);
    expect(metrics.every((m) => m.rollouts === 16)).toBe(true);
  });

  it('passes the configured sampling options with a per-step seed and the EOS stop token', async () => {
    const sampler = createFakeSampler(() => '\\boxed{1}');
    const policy = createTabularPolicy({ vocabSize: 128 });
    const trainer = createTrainer({
      policy,
      sampler,
      verifier: createFakeVerifier(),
      objective: createFakeObjective(),
      tokenizer: createFakeTokenizer(),
      problems: [{ id: 'a', question: '1', answer: '1' }],
      config: { ...baseConfig, actorFreezeSteps: 0, batchProblems: 3, rolloutsPerProblem: 5 },
      runDir: await tempDir(),
    });
    await trainer.step();
    await trainer.step();
    const [first, second] = sampler.calls.map((call) => call.args[1] as Record<string, unknown>);
    expect(first).toMatchObject({
      n: 5,
      temperature: 1,
      topP: 0.9,
      topK: 0,
      maxNewTokens: 3,
      stopTokenIds: [0],
    });
    expect(first?.seed).not.toEqual(second?.seed);
    expect((sampler.calls[0]?.args[0] as Problem[]).length).toBe(3); // B problems drawn from a 1-problem set
  });

  it('skips the update (and the reward model) when filtering leaves nothing, and says so', async () => {
    const events: string[] = [];
    const setup = recordedSetup(events, () => true); // every rollout right: every group is filtered out
    const lines: string[] = [];
    const trainer = createTrainer({
      ...setup,
      problems: letterProblems(4),
      // every token stops: no rollout is truncated, so all are right
      config: {
        ...baseConfig,
        actorFreezeSteps: 0,
        sampling: { maxNewTokens: 3, stopTokenIds: [0, 1, 2, 3, 4] },
      },
      runDir: await tempDir(),
      hooks: { onLog: (line) => void lines.push(line) },
    });
    const metrics = await trainer.step();
    expect(metrics).toMatchObject({
      skipped: 'empty-batch',
      selectedRollouts: 0,
      keptGroups: 0,
      loss: null,
      rewardModel: null,
      passRate: 1,
    });
    expect(events).not.toContain('policy.accumulateGradients');
    expect(events).not.toContain('rm.train');
    expect(lines.some((line) => line.includes('no update this step'))).toBe(true);
    expect(trainer.state.step).toBe(1);
  });

  it('grades truncated and failed rollouts incorrect without asking the verifier, and tokenises remote rollouts', async () => {
    const tokenizer = createLetterTokenizer();
    const remote: Sampler = {
      specificationVersion: 'v1',
      id: 'test/remote',
      async sample(problems, options) {
        return problems.map((problem) => ({
          problem,
          rollouts: Array.from({ length: options.n }, (_, sampleIndex): Rollout => ({
            problemId: problem.id,
            sampleIndex,
            prompt: problem.question,
            text: ['ab', 'a', 'bb', 'cc'][sampleIndex] as string,
            tokenIds: [],
            logProbs: [],
            finishReason: (['stop', 'length', 'stop', 'error'] as const)[
              sampleIndex
            ] as Rollout['finishReason'],
          })),
        }));
      },
    };
    const verified: string[] = [];
    const inner = createFakeVerifier({ decide: (_p, text) => text.startsWith('a') });
    const policy = createFileTabularPolicy({ vocabSize: tokenizer.vocabSize });
    const fakeObjective = createFakeObjective();
    const trainer = createTrainer({
      policy,
      sampler: remote,
      verifier: {
        ...inner,
        verify: (problem, response) => (
          verified.push(typeof response === 'string' ? response : response.text),
          inner.verify(problem, response)
        ),
      },
      objective: fakeObjective,
      tokenizer,
      problems: letterProblems(1),
      config: { ...baseConfig, batchProblems: 1, actorFreezeSteps: 0 },
      runDir: await tempDir(),
    });
    const metrics = await trainer.step();
    expect(verified.sort()).toEqual(['ab', 'bb']);
    expect(metrics.rolloutsCorrect).toBe(1); // 'a' was truncated, so only 'ab' counts
    expect(metrics.verdictReasons).toEqual({ error: 1, mismatch: 1, 'string-equal': 1, truncated: 1 });
    expect(metrics.truncatedRate).toBe(0.25);
    const batch = policy.events.includes('policy.accumulateGradients');
    expect(batch).toBe(true);
    const rows = fakeObjective.calls.find((c) => c.method === 'select')?.args[0] as {
      rollouts: { rollout: Rollout }[];
    }[];
    // 'ab' stopped: its ids gain the EOS token; 'a' was truncated: no EOS
    expect(rows[0]?.rollouts[0]?.rollout.tokenIds).toEqual([1, 2, 0]);
    expect(rows[0]?.rollouts[1]?.rollout.tokenIds).toEqual([1]);
    expect(rows[0]?.rollouts[0]?.rollout.promptTokenIds).toEqual([1]);
  });

  it('writes one deterministic metrics line per step and per eval, wall-clock fields under timing', async () => {
    const runDir = await tempDir();
    const setup = recordedSetup([]);
    const trainer = createTrainer({
      ...setup,
      problems: letterProblems(8),
      evalProblems: letterProblems(2),
      config: { ...baseConfig, evalEvery: 2 },
      runDir,
    });
    const result = await trainer.run();
    const lines = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => `${l.type}@${l.step}`)).toEqual([
      'eval@0',
      'step@1',
      'step@2',
      'eval@2',
      'step@3',
      'step@4',
      'eval@4',
    ]);
    for (const line of lines) expect(line.timing).toEqual(expect.any(Object));
    const step = lines[1] as Record<string, unknown>;
    for (const key of [
      'passRate',
      'keptGroups',
      'lossParts',
      'kl',
      'entropy',
      'rewardModel',
      'tokensSampled',
      'learningRate',
      'gradNorm',
    ]) {
      expect(step).toHaveProperty(key);
    }
    expect((step.timing as Record<string, unknown>).tokensPerSecond).toEqual(expect.any(Number));
    expect(result).toMatchObject({ steps: 4, stoppedBy: 'completed' });
  });
});

describe('a failing sampler', () => {
  it('leaves the step undone; a retry draws the same batch with the same seed', async () => {
    const sampler = createFakeSampler(() => '\\boxed{1}');
    let failures = 1;
    const flaky: Sampler = {
      ...sampler,
      sample: async (problems, options) => {
        if (failures-- > 0) throw new Error('server down');
        return sampler.sample(problems, options);
      },
    };
    const problems = Array.from({ length: 10 }, (_, i) => ({
      id: `p${i}`,
      question: String(i),
      answer: '1',
    }));
    const runDirs = [await tempDir(), await tempDir()];
    const make = (s: Sampler) =>
      createTrainer({
        policy: createTabularPolicy({ vocabSize: 128 }),
        sampler: s,
        verifier: createFakeVerifier(),
        objective: createFakeObjective(),
        tokenizer: createFakeTokenizer(),
        problems,
        config: { ...baseConfig, batchProblems: 3 },
        runDir: runDirs.pop() as string,
      });
    const trainer = make(flaky);
    await expect(trainer.step()).rejects.toThrow('server down');
    expect(trainer.state.step).toBe(0);
    expect(trainer.state.cursor).toEqual({ epoch: 0, position: 0 });
    const reference = createFakeSampler(() => '\\boxed{1}');
    await make(reference).step();
    await trainer.step();
    expect(sampler.calls[0]?.args).toEqual(reference.calls[0]?.args);
  });
});

describe('saveCheckpoint during a step (a signal handler)', () => {
  it('waits for the step to finish, so the checkpoint is consistent', async () => {
    const setup = recordedSetup([]);
    const slow: Sampler = {
      ...setup.sampler,
      sample: async (problems, options) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return setup.sampler.sample(problems, options);
      },
    };
    const runDir = await tempDir();
    const trainer = createTrainer({
      ...setup,
      sampler: slow,
      problems: letterProblems(4),
      config: baseConfig,
      runDir,
    });
    const stepping = trainer.step();
    const saving = trainer.saveCheckpoint('signal');
    await stepping;
    const path = await saving;
    expect(path.endsWith('step-000001')).toBe(true);
    const state = JSON.parse(await readFile(join(path, 'trainer-state.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(state).toMatchObject({ step: 1, reason: 'signal', metricsLines: 1 });
    expect(await readFile(join(path, 'metrics.jsonl'), 'utf8')).toMatch(/"step":1/);
  });
});

describe('createTrainer validation', () => {
  const valid = (): CreateTrainerOptions => {
    const setup = recordedSetup([]);
    return { ...setup, problems: letterProblems(2), config: baseConfig, runDir: '/tmp/unused' };
  };
  it('refuses an objective that needs a reference when none is given', () => {
    const { reference: _reference, ...rest } = valid();
    expect(() => createTrainer(rest)).toThrow(ConfigError);
    expect(() => createTrainer(rest)).toThrow(/reference.*pass the frozen initial policy/);
  });
  it('refuses a bad config with the field, the value and the fix', () => {
    try {
      createTrainer({ ...valid(), config: { ...baseConfig, rolloutsPerProblem: 1 } });
      expect.unreachable();
    } catch (error) {
      expect(ConfigError.is(error)).toBe(true);
      expect((error as ConfigError).path).toBe('rolloutsPerProblem');
      expect((error as Error).message).toMatch(/got 1/);
      expect((error as Error).message).toMatch(/at least 2|≥ 2/);
    }
  });
  it('refuses a token budget the policy cannot hold and an empty problem set', () => {
    expect(() =>
      createTrainer({ ...valid(), config: { ...baseConfig, sampling: { maxNewTokens: 5000 } } }),
    ).toThrow(/sampling\.maxNewTokens/);
    expect(() => createTrainer({ ...valid(), problems: [] })).toThrow(/problems/);
  });
  it('refuses a component of another contract generation', () => {
    const options = valid();
    expect(() =>
      createTrainer({ ...options, verifier: { ...options.verifier, specificationVersion: 'v2' as 'v1' } }),
    ).toThrow(/specificationVersion/);
  });
});
