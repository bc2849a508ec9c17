/**
 * The trainer's own cost per RL step at the reference batch shape (B = 64, K = 16: 1,024
 * rollouts), with the model work faked away: the sampler returns canned responses (the gold
 * solution or a wrong one) to built-in addition problems, the REAL math-verifier grades them, the
 * OREAL-style test objective selects and computes, and a tabular policy applies the update. What
 * remains is grading + selection + bookkeeping + metrics/trajectory I/O.
 */
import { createFakeTokenizer, createTabularPolicy } from '@oreal-ts/core/testing';
import { createFakeSampler } from '@oreal-ts/core/testing';
import { createMathVerifier } from '@oreal-ts/math-verifier';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { writeBenchResult } from '../../../tools/scripts/src/bench-output.mjs';
import { createTrainer, generateProblems, type StepMetrics } from '../src/index';
import { createMiniOrealObjective } from '../test/support';

it('trainer overhead per step at B=64, K=16 (model work faked)', async () => {
  const runDir = await mkdtemp(join(tmpdir(), 'oreal-bench-'));
  const problems = generateProblems({ family: 'addition', count: 512, seed: 1, split: 'train' });
  const policy = createTabularPolicy({ vocabSize: 128, learningRate: 0.01 });
  const sampler = createFakeSampler((problem, index) =>
    index % 3 === 0 ? (problem.solution ?? '') : '\\boxed{0}',
  );
  const steps: StepMetrics[] = [];
  const trainer = createTrainer({
    policy,
    reference: createTabularPolicy({ vocabSize: 128 }),
    sampler,
    verifier: createMathVerifier(),
    objective: createMiniOrealObjective(),
    tokenizer: createFakeTokenizer(),
    problems,
    config: {
      steps: 10,
      actorFreezeSteps: 0,
      sampling: { maxNewTokens: 64 },
      evalEvery: 0,
      checkpoint: { every: 0, atEnd: false },
      trajectoryDumpEvery: 5,
    },
    runDir,
    hooks: { onStep: (m) => void steps.push(m) },
  });
  await trainer.run();
  await rm(runDir, { recursive: true, force: true });
  const measured = steps.slice(2); // skip warm-up (lazy loads)
  const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
  const result = {
    command: 'cd packages/trainer && npm run bench',
    batchProblems: 64,
    rolloutsPerProblem: 16,
    stepsMeasured: measured.length,
    meanStepSeconds: mean(measured.map((m) => m.timing.stepSeconds)),
    meanVerifySeconds: mean(measured.map((m) => m.timing.verifySeconds)),
    meanUpdateSeconds: mean(measured.map((m) => m.timing.updateSeconds)),
    rolloutsGradedPerSecond: 1024 / mean(measured.map((m) => m.timing.verifySeconds)),
    note: 'taken on the shared 2-core machine while other helpers were working',
  };
  console.log(result);
  writeBenchResult('trainer', 'step-overhead', result);
  expect(measured.every((m) => m.rollouts === 1024)).toBe(true);
  // samples 0, 3, …, 15 are the gold solution: 6 of 16 right, and the real verifier must say so
  expect(measured.every((m) => m.passRate === 6 / 16)).toBe(true);
});
