import type { Objective, ObjectiveRow, Rollout, ScoredGroup } from '@oreal-ts/core';
import { SeededRng } from '@oreal-ts/core';
import { createTabularPolicy } from '@oreal-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { createObjectiveRegistry } from '../src/index';

const ANSWERS = 5;
const CORRECT = 3;
const K = 8;
const MAX_UPDATES = 300;
const LEARNING_RATE = 0.1;
const REFERENCE_LOG_PROB = Math.log(1 / ANSWERS); // the initial (uniform) policy is the reference

function sample(probabilities: readonly number[], rng: SeededRng): number {
  let u = rng.next();
  for (let a = 0; a < probabilities.length; a++) {
    u -= probabilities[a] as number;
    if (u < 0) return a;
  }
  return probabilities.length - 1;
}

/**
 * One-step bandit: a context-free softmax policy over 5 answers, answer 3 correct (+1, else −1).
 * Each update samples K = 8 answers, selects rows with the objective, and takes one SGD step on
 * the objective's loss. Returns the number of updates until p(correct) ≥ 0.9 (or Infinity).
 */
async function updatesToSolve(objective: Objective, seed: number): Promise<number> {
  const policy = createTabularPolicy({ vocabSize: ANSWERS, learningRate: LEARNING_RATE });
  const rng = new SeededRng(seed);
  const problem = { id: 'bandit', question: 'pick', answer: String(CORRECT) };
  for (let update = 0; update < MAX_UPDATES; update++) {
    const probabilities = policy.probabilities();
    if ((probabilities[CORRECT] as number) >= 0.9) return update;
    const group: ScoredGroup = {
      problem,
      rollouts: Array.from({ length: K }, (_, sampleIndex) => {
        const answer = sample(probabilities, rng);
        const rollout: Rollout = {
          problemId: problem.id,
          sampleIndex,
          prompt: problem.question,
          text: String(answer),
          tokenIds: [answer],
          logProbs: [Math.log(probabilities[answer] as number)],
          finishReason: 'stop',
        };
        return { rollout, reward: answer === CORRECT ? 1 : -1 };
      }),
    };
    const selected = objective.select([group], rng);
    if (selected.length === 0) continue; // e.g. OREAL on an all-wrong group: nothing to learn from
    const batch = { promptIds: selected.map(() => [0]), responseIds: selected.map((s) => s.rollout.tokenIds) };
    await policy.accumulateGradients(batch, (logProbs) =>
      objective.compute(
        selected.map(
          (s, i): ObjectiveRow => ({
            reward: s.reward,
            advantage: s.advantage,
            logProbs: logProbs[i] as number[],
            oldLogProbs: s.rollout.logProbs,
            referenceLogProbs: s.rollout.tokenIds.map(() => REFERENCE_LOG_PROB),
          }),
        ),
      ),
    );
    await policy.applyGradients();
  }
  return (policy.probabilities()[CORRECT] as number) >= 0.9 ? MAX_UPDATES : Number.POSITIVE_INFINITY;
}

// Options that differ from the defaults: Dr. GRPO's constant normaliser is the generation
// budget, here 1 token.
const OPTIONS: Record<string, Record<string, unknown>> = { 'dr-grpo': { constantNormalizer: 1 } };
const SEEDS = [11, 12, 13, 14, 15];

describe('bandit: every objective solves a 5-armed bandit from a uniform start', () => {
  const registry = createObjectiveRegistry();
  const measured: Record<string, number[]> = {};
  for (const name of registry.names()) {
    it(`${name}: p(correct) ≥ 0.9 within ${MAX_UPDATES} updates (K = ${K}, seeds ${SEEDS.join(', ')})`, async () => {
      const counts: number[] = [];
      for (const seed of SEEDS) counts.push(await updatesToSolve(registry.create(name, OPTIONS[name]), seed));
      measured[name] = counts;
      for (const count of counts) expect(count).toBeLessThanOrEqual(MAX_UPDATES);
    });
  }
  it('report (updates needed per objective and seed; a measurement, no ordering asserted)', () => {
    expect(Object.keys(measured).length).toBe(registry.names().length);
    console.log(
      `bandit updates to p(correct) ≥ 0.9 (lr ${LEARNING_RATE}, K ${K}):\n` +
        Object.entries(measured)
          .map(([name, counts]) => `  ${name.padEnd(10)} ${counts.join(', ')}  (median ${[...counts].sort((a, b) => a - b)[2]})`)
          .join('\n'),
    );
  });
});
