import type { ObjectiveRow, ScoredGroup } from '@oreal-ts/core';
import { SeededRng } from '@oreal-ts/core';
import { describe, expect, it } from 'vitest';
import { createOrealObjective, createRlooObjective, OREAL_LOSS_DEFAULTS } from '../src/index';

/** G groups of K rollouts with random ±1 rewards and 1–5 token responses. */
function randomGroups(seed: number, count: number, k: number): ScoredGroup[] {
  const rng = new SeededRng(seed);
  return Array.from({ length: count }, (_, g) => ({
    problem: { id: `p${g}`, question: 'q', answer: 'a' },
    rollouts: Array.from({ length: k }, (_, sampleIndex) => {
      const tokenIds = Array.from({ length: 1 + rng.int(5) }, () => rng.int(50));
      return {
        reward: rng.next() < 0.4 ? 1 : -1,
        rollout: {
          problemId: `p${g}`,
          sampleIndex,
          prompt: 'q',
          text: '',
          tokenIds,
          logProbs: tokenIds.map(() => -0.1 - 2 * rng.next()),
          finishReason: 'stop' as const,
        },
      };
    }),
  }));
}

describe('OREAL with ω ≡ 1 and on-policy log-probs = RLOO policy gradient on the kept 1 + 1 subset', () => {
  it('per token: ∂L_OREAL/∂ℓ = c_i · ∂L_RLOO/∂ℓ with c = λ₊R/N₊ (positives), λ₋R/N₋ (negatives)', () => {
    for (const seed of [1, 2, 3, 4]) {
      const groups = randomGroups(seed, 6, 8);
      const oreal = createOrealObjective({ useTokenWeights: false });
      const kept = oreal.select(groups, new SeededRng(seed));
      expect(kept.length).toBeGreaterThan(0);
      // on-policy at the start of training: behaviour = current = reference, so d_t = 0
      const rows: ObjectiveRow[] = kept.map((s) => ({
        reward: s.reward,
        advantage: s.advantage,
        logProbs: s.rollout.logProbs,
        oldLogProbs: s.rollout.logProbs,
        referenceLogProbs: s.rollout.logProbs,
      }));
      const orealGradient = oreal.compute(rows).gradient;
      const rlooGradient = createRlooObjective().compute(rows).gradient; // −A_i / R per token
      const rowCount = rows.length;
      const tokensPositive = rows.filter((r) => r.reward > 0).reduce((s, r) => s + r.logProbs.length, 0);
      const tokensNegative = rows.filter((r) => r.reward <= 0).reduce((s, r) => s + r.logProbs.length, 0);
      rows.forEach((row, i) => {
        const factor =
          row.reward > 0
            ? (OREAL_LOSS_DEFAULTS.positiveLossFactor * rowCount) / tokensPositive
            : (OREAL_LOSS_DEFAULTS.negativeLossFactor * rowCount) / tokensNegative;
        row.logProbs.forEach((_, t) => {
          expect(orealGradient[i]?.[t]).toBeCloseTo(factor * (rlooGradient[i]?.[t] as number), 12);
          // same direction as the RLOO policy gradient: descent raises positives, lowers negatives
          expect(Math.sign(orealGradient[i]?.[t] as number)).toBe(row.reward > 0 ? -1 : 1);
        });
      });
    }
  });

  it('off the reference (d ≠ 0) the difference is exactly the k3 KL gradient (β/N_all)(1 − e^d)', () => {
    const groups = randomGroups(9, 6, 8);
    const oreal = createOrealObjective({ useTokenWeights: false });
    const kept = oreal.select(groups, new SeededRng(9));
    const shift = 0.3;
    const rows: ObjectiveRow[] = kept.map((s) => ({
      reward: s.reward,
      advantage: s.advantage,
      logProbs: s.rollout.logProbs,
      referenceLogProbs: s.rollout.logProbs.map((l) => l - shift),
    }));
    const withKl = oreal.compute(rows).gradient;
    const withoutKl = createOrealObjective({ klCoefficient: 0 }).compute(rows).gradient;
    const tokensAll = rows.reduce((s, r) => s + r.logProbs.length, 0);
    rows.forEach((row, i) =>
      row.logProbs.forEach((_, t) => {
        const expected = (OREAL_LOSS_DEFAULTS.klCoefficient / tokensAll) * (1 - Math.exp(-shift));
        expect((withKl[i]?.[t] as number) - (withoutKl[i]?.[t] as number)).toBeCloseTo(expected, 12);
      }),
    );
  });
});
