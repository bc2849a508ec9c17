import { InvalidArgumentError, SeededRng } from '@oreal-ts/core';
import type { ScoredGroup } from '@oreal-ts/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupAdvantages, type AdvantageEstimator } from './advantages';
import { createOrealObjective } from './oreal-objective';
import { withoutNegativeShaping } from './without-negative-shaping';

/** A group of 2–32 rewards of ±1 in any order. */
const rewardsArbitrary = fc
  .array(fc.boolean(), { minLength: 2, maxLength: 32 })
  .map((flags) => flags.map((correct) => (correct ? 1 : -1)));
const estimatorArbitrary = fc.constantFrom<AdvantageEstimator>('rloo', 'grpo', 'mean-baseline');

function group(rewards: readonly number[]): ScoredGroup {
  return {
    problem: { id: 'p', question: 'q', answer: '1' },
    rollouts: rewards.map((reward, i) => ({
      rollout: {
        problemId: 'p',
        sampleIndex: i,
        prompt: '',
        text: String(i),
        tokenIds: [1, 2, 3],
        logProbs: [-1, -1, -1],
        finishReason: 'stop' as const,
      },
      reward,
    })),
  };
}

describe('withoutNegativeShaping', () => {
  it('mixed groups: |A⁻| = A⁺ instead of A⁺·p/(1−p); positives unchanged (property, every estimator)', () => {
    fc.assert(
      fc.property(rewardsArbitrary, estimatorArbitrary, (rewards, estimator) => {
        const shaped = groupAdvantages(rewards, estimator);
        const unshaped = withoutNegativeShaping(rewards, shaped, true);
        const positives = rewards.flatMap((r, i) => (r > 0 ? [i] : []));
        const negatives = rewards.flatMap((r, i) => (r > 0 ? [] : [i]));
        for (const i of positives) expect(unshaped[i]).toBe(shaped[i]);
        if (positives.length === 0) {
          expect(unshaped).toEqual(shaped);
          return;
        }
        const aPlus = shaped[positives[0] as number] as number;
        for (const i of negatives) {
          expect(unshaped[i]).toBeCloseTo(-aPlus, 9);
          // the method's shaping: |A⁻|/A⁺ = p/(1−p) before, 1 after
          const p = positives.length / rewards.length;
          if (p < 1 && aPlus > 1e-6) expect(Math.abs(shaped[i] as number) / aPlus).toBeCloseTo(p / (1 - p), 6);
        }
      }),
    );
  });

  it('without multiplyPositiveByAdvantage the negatives get weight 1 like the positives', () => {
    const rewards = [1, -1, -1, -1];
    expect(withoutNegativeShaping(rewards, groupAdvantages(rewards, 'rloo'), false)).toEqual([
      groupAdvantages(rewards, 'rloo')[0],
      -1,
      -1,
      -1,
    ]);
    expect(() => withoutNegativeShaping([1, -1], [0], true)).toThrow(InvalidArgumentError);
  });
});

describe('OREAL objective option shapeNegatives', () => {
  // K = 16, 4 correct (p = 0.25): A⁺ = 1.6, A⁻ = −0.5333 (oreal-method.md reference table).
  const rewards = Array.from({ length: 16 }, (_, i) => (i % 4 === 0 ? 1 : -1));

  it('false: the kept negative carries −A⁺ and the negative loss term grows by (1−p)/p; same rows drawn', () => {
    const shaped = createOrealObjective({ klCoefficient: 0 });
    const unshaped = createOrealObjective({ klCoefficient: 0, shapeNegatives: false });
    expect(unshaped.options.shapeNegatives).toBe(false);
    const a = shaped.select([group(rewards)], new SeededRng(7));
    const b = unshaped.select([group(rewards)], new SeededRng(7));
    expect(b.map((r) => r.rolloutIndex)).toEqual(a.map((r) => r.rolloutIndex));
    const [positiveA, negativeA] = a;
    const [positiveB, negativeB] = b;
    expect(positiveB?.advantage).toBe(positiveA?.advantage);
    expect(positiveB?.advantage).toBeCloseTo(1.6, 10);
    expect(negativeA?.advantage).toBeCloseTo(-0.5333, 4);
    expect(negativeB?.advantage).toBeCloseTo(-1.6, 10);
    const rows = (selected: typeof a) =>
      selected.map((s) => ({ reward: s.reward, advantage: s.advantage, logProbs: [-1, -1, -1] }));
    const lossA = shaped.compute(rows(a));
    const lossB = unshaped.compute(rows(b));
    expect(lossB.parts['positive']).toBeCloseTo(lossA.parts['positive'] as number, 12);
    expect((lossB.parts['negative'] as number) / (lossA.parts['negative'] as number)).toBeCloseTo(0.75 / 0.25, 9);
  });

  it('default true is the method; a non-boolean is a ConfigError naming oreal.shapeNegatives', () => {
    expect(createOrealObjective().options.shapeNegatives).toBe(true);
    expect(() => createOrealObjective({ shapeNegatives: 'no' as never })).toThrow(/oreal\.shapeNegatives/);
  });
});
