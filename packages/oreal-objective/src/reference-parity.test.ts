import type { Rollout, ScoredGroup } from '@oreal-ts/core';
import { SeededRng } from '@oreal-ts/core';
import { describe, expect, it } from 'vitest';
import { createOrealObjective, createRftObjective } from './index';
import { filterGroups } from './filter-groups';
import { rlooAdvantages } from './advantages';
import { orealLoss, OREAL_LOSS_DEFAULTS } from './oreal-loss';
import { rftLoss } from './rft-loss';

/**
 * Guards of the reference's knobs (issue 16, point 5). Each test is written so that a named
 * mutant of the implementation makes it fail: GRPO advantages in OREAL's selection, `r ≥ 0` as
 * "correct" in the group filter, an RFT scale other than 1/N₊, wrong mean token weights.
 */

function group(id: string, rewards: number[], lengths?: number[]): ScoredGroup {
  return {
    problem: { id, question: 'q', answer: 'a' },
    rollouts: rewards.map((reward, sampleIndex) => {
      const length = lengths?.[sampleIndex] ?? 1;
      return {
        reward,
        rollout: {
          problemId: id,
          sampleIndex,
          prompt: 'q',
          text: `r${sampleIndex}`,
          tokenIds: Array.from({ length }, (_, t) => t),
          logProbs: Array.from({ length }, () => -1),
          finishReason: 'stop',
        } satisfies Rollout,
      };
    }),
  };
}

describe('OREAL selection uses RLOO advantages over all K rollouts (not GRPO)', () => {
  it('K = 16 with 4 correct: the kept pair carries A⁺ = 1.6, A⁻ = −0.5333 (GRPO would give 1.6771 / −0.5590)', () => {
    const rewards = Array.from({ length: 16 }, (_, i) => (i < 4 ? 1 : -1));
    for (let seed = 0; seed < 5; seed++) {
      const [correct, incorrect] = createOrealObjective().select([group('g', rewards)], new SeededRng(seed));
      expect(correct?.reward).toBe(1);
      expect(correct?.advantage).toBeCloseTo(1.6, 10);
      expect(incorrect?.reward).toBe(-1);
      expect(incorrect?.advantage).toBeCloseTo(-0.5333333333, 8);
    }
  });

  it('K = 16 with 15 correct: A⁺ = 0.1333, A⁻ = −2 (GRPO: 0.25 / −3.75)', () => {
    const rewards = Array.from({ length: 16 }, (_, i) => (i < 15 ? 1 : -1));
    const [correct, incorrect] = createOrealObjective().select([group('g', rewards)], new SeededRng(3));
    expect(correct?.advantage).toBeCloseTo(2 / 15, 10);
    expect(incorrect?.advantage).toBeCloseTo(-2, 10);
  });
});

describe('the group filter counts a rollout as correct only when r > 0', () => {
  it('reward 0 is incorrect: [1, 0, 0] is a mixed group, [0, 0] is all wrong and dropped', () => {
    const groups = [group('mixed', [0, 1, 0]), group('zeros', [0, 0])];
    const advantages = groups.map((g) => rlooAdvantages(g.rollouts.map((r) => r.reward)));
    const kept = filterGroups(groups, advantages, 'one-correct-one-incorrect', new SeededRng(1));
    expect(kept.map((k) => [k.groupIndex, k.reward])).toEqual([
      [0, 1],
      [0, 0],
    ]);
    expect(kept[0]?.rolloutIndex).toBe(1);
    expect(filterGroups(groups, advantages, 'positives-only', new SeededRng(1)).map((k) => k.rolloutIndex)).toEqual([1]);
  });

  it('the OREAL loss puts a reward-0 row in the negative term', () => {
    const result = orealLoss([{ reward: 0, advantage: -0.5, logProbs: [-1, -1] }], { ...OREAL_LOSS_DEFAULTS, klCoefficient: 0 });
    expect(result.parts).toMatchObject({ rowsPositive: 0, rowsNegative: 1, tokensNegative: 2, positive: 0 });
  });
});

describe('RFT: L = −(1/N₊) Σ_{i∈pos} Σ_t ℓ_t', () => {
  it('scale is 1/N₊ (positive tokens of the batch), not 1/N_all, 1/R or 1/T_i', () => {
    // positive rows of 2 and 3 tokens (N₊ = 5), a negative row of 4 tokens, a reward-0 row of 1 token
    const rows = [
      { reward: 1, advantage: 1, logProbs: [-1, -2] },
      { reward: 1, advantage: 1, logProbs: [-0.5, -0.5, -1] },
      { reward: -1, advantage: 1, logProbs: [-3, -3, -3, -3] },
      { reward: 0, advantage: 1, logProbs: [-7] },
    ];
    const result = rftLoss(rows);
    expect(result.loss).toBeCloseTo((1 + 2 + 0.5 + 0.5 + 1) / 5, 12);
    expect(result.gradient).toEqual([
      [-0.2, -0.2],
      [-0.2, -0.2, -0.2],
      [0, 0, 0, 0],
      [0],
    ]);
    expect(result.parts.tokensPositive).toBe(5);
    // through the objective, too
    expect(createRftObjective().compute(rows).gradient[1]).toEqual([-0.2, -0.2, -0.2]);
  });
});

describe('meanWeightPositive / meanWeightNegative are token means of ω over N₊ / N₋', () => {
  it('rows of unequal length: token mean, not row mean, and each sign only its own rows', () => {
    const rows = [
      { reward: 1, advantage: 1, logProbs: [-1], tokenWeights: [1] },
      { reward: 1, advantage: 1, logProbs: [-1, -1, -1], tokenWeights: [0, 0.2, 0.4] },
      { reward: -1, advantage: -1, logProbs: [-1, -1], tokenWeights: [0.9, 0.7] },
      { reward: -1, advantage: -1, logProbs: [-1, -1, -1, -1], tokenWeights: [0.1, 0.1, 0.1, 0.1] },
    ];
    const { parts } = orealLoss(rows, { ...OREAL_LOSS_DEFAULTS, klCoefficient: 0 });
    expect(parts.meanWeightPositive).toBeCloseTo((1 + 0 + 0.2 + 0.4) / 4, 12); // row mean would be 0.6
    expect(parts.meanWeightNegative).toBeCloseTo((0.9 + 0.7 + 0.4) / 6, 12); // row mean would be 0.45
  });

  it('ω ≡ 1 counts as 1; a batch without one sign reports 0 for it', () => {
    const { parts } = orealLoss([{ reward: 1, advantage: 1, logProbs: [-1, -1] }], { ...OREAL_LOSS_DEFAULTS, klCoefficient: 0 });
    expect(parts.meanWeightPositive).toBe(1);
    expect(parts.meanWeightNegative).toBe(0);
  });
});
