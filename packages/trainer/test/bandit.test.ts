import { createFakeTokenRewardModel, createFakeVerifier } from '@oreal-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { createTrainer, type StepMetrics } from '../src/index';
import {
  createFileTabularPolicy,
  createLetterTokenizer,
  createMiniOrealObjective,
  createPolicySampler,
  letterProblems,
  temporaryDirs,
} from './support';

const tempDir = temporaryDirs('oreal-bandit-');

describe('OREAL on a tabular policy (a one-token bandit: every token stops, "a" is right)', () => {
  it('raises the rollout pass rate and the held-out greedy pass@1', async () => {
    const runDir = await tempDir();
    const tokenizer = createLetterTokenizer();
    const policy = createFileTabularPolicy({ vocabSize: tokenizer.vocabSize, learningRate: 0.3 });
    const reference = createFileTabularPolicy({ vocabSize: tokenizer.vocabSize, id: 'reference' });
    const steps: StepMetrics[] = [];
    const trainer = createTrainer({
      policy,
      reference,
      sampler: createPolicySampler(policy, tokenizer),
      verifier: createFakeVerifier({ decide: (_problem, text) => text === 'a' }),
      objective: createMiniOrealObjective(),
      tokenRewardModel: createFakeTokenRewardModel(),
      tokenizer,
      problems: letterProblems(16),
      evalProblems: letterProblems(4),
      config: {
        seed: 7,
        steps: 30,
        batchProblems: 8,
        rolloutsPerProblem: 8,
        actorFreezeSteps: 3,
        sampling: { maxNewTokens: 2, stopTokenIds: [0, 1, 2, 3, 4] },
        evalEvery: 0,
        checkpoint: { every: 0, atEnd: false },
        trajectoryDumpEvery: 0,
      },
      runDir,
      hooks: { onStep: (m) => void steps.push(m) },
    });
    const before = await trainer.evaluate();
    const result = await trainer.run();
    const after = await trainer.evaluate();
    // the first 3 steps are actor-frozen: the uniform policy's pass rate is 1/5
    const early = steps.slice(0, 3).reduce((s, m) => s + m.passRate, 0) / 3;
    const late = steps.slice(-5).reduce((s, m) => s + m.passRate, 0) / 5;
    expect(result.steps).toBe(30);
    expect(steps.slice(0, 3).every((m) => m.skipped === 'actor-frozen' || m.skipped === 'empty-batch')).toBe(
      true,
    );
    expect(early).toBeLessThan(0.35);
    expect(late).toBeGreaterThan(0.9);
    expect(before.greedyPassAt1).toBe(0);
    expect(after.greedyPassAt1).toBe(1);
    // the policy's probability of the answer token rose above the uniform 1/5
    expect(policy.probabilities()[1]).toBeGreaterThan(0.6);
  });
});
