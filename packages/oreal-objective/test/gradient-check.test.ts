import type { ObjectiveRow } from '@oreal-ts/core';
import { describe, expect, it } from 'vitest';
import {
  clippedSurrogateLoss,
  createObjectiveRegistry,
  createOrealObjective,
  OREAL_LOSS_DEFAULTS,
  orealLoss,
  policyGradientLoss,
  rftLoss,
  type LossAggregation,
} from '../src/index';
import { maxGradientError, randomRows } from './finite-difference';

const TOLERANCE = 1e-6;
const detachedOf = (rows: readonly ObjectiveRow[]) => rows.map((r) => r.logProbs.slice());
const SEEDS = [1, 2, 3];

describe('finite-difference gradient checks with respect to the log-probs', () => {
  it('OREAL loss (sg(ℓ) held fixed in the negative term), defaults and variants', () => {
    const variants = [
      OREAL_LOSS_DEFAULTS,
      { ...OREAL_LOSS_DEFAULTS, multiplyPositiveByAdvantage: false },
      { positiveLossFactor: 0.7, negativeLossFactor: 1.3, klCoefficient: 0.5, multiplyPositiveByAdvantage: true },
    ];
    for (const seed of SEEDS) {
      const rows = randomRows(seed);
      const detached = detachedOf(rows);
      for (const options of variants) {
        const { gradient } = orealLoss(rows, options, detached);
        expect(maxGradientError(rows, (r) => orealLoss(r, options, detached).loss, gradient)).toBeLessThan(TOLERANCE);
      }
    }
  });

  it('the OREAL objective computes orealLoss with sg(ℓ) = ℓ: the negative term is worth λ₋/N₋ Σ|A|ω', () => {
    const rows = randomRows(4);
    const objective = createOrealObjective();
    const result = objective.compute(rows);
    const explicit = orealLoss(rows, OREAL_LOSS_DEFAULTS, detachedOf(rows));
    expect(result.loss).toBeCloseTo(explicit.loss, 12);
    expect(result.gradient).toEqual(explicit.gradient);
    const negatives = rows.filter((r) => r.reward <= 0);
    const tokensNegative = negatives.reduce((s, r) => s + r.logProbs.length, 0);
    const value = negatives.reduce(
      (s, r) => s + Math.abs(r.advantage) * (r.tokenWeights ?? []).reduce((a, w) => a + w, 0),
      0,
    ) * (0.5 / tokensNegative);
    expect(result.parts.negative).toBeCloseTo(value, 12);
    expect(result.parts.tokensNegative).toBe(tokensNegative);
  });

  it('policy-gradient loss (REINFORCE, RLOO) for every aggregation, with and without KL', () => {
    const aggregations: LossAggregation[] = ['sequence-sum', 'token-mean', 'sequence-mean', 'constant'];
    for (const seed of SEEDS) {
      const rows = randomRows(seed);
      for (const aggregation of aggregations) {
        for (const klCoefficient of [0, 0.3]) {
          const options = { aggregation, constantNormalizer: 7, klCoefficient };
          const { gradient } = policyGradientLoss(rows, options);
          expect(maxGradientError(rows, (r) => policyGradientLoss(r, options).loss, gradient)).toBeLessThan(TOLERANCE);
        }
      }
    }
  });

  it('clipped surrogate (GRPO, Dr. GRPO) in clipped and unclipped regions, with and without KL', () => {
    for (const seed of SEEDS) {
      const rows = randomRows(seed, { oldSpread: 0.6 });
      for (const aggregation of ['token-mean', 'sequence-mean', 'constant'] as const) {
        const options = { clipLow: 0.2, clipHigh: 0.28, aggregation, constantNormalizer: 9, klCoefficient: 0.1 };
        const result = clippedSurrogateLoss(rows, options);
        expect(result.parts.clipFraction).toBeGreaterThan(0);
        expect(result.parts.clipFraction).toBeLessThan(1);
        expect(maxGradientError(rows, (r) => clippedSurrogateLoss(r, options).loss, result.gradient)).toBeLessThan(TOLERANCE);
      }
      // rows without old log-probs: on-policy, old = sg(ℓ) held fixed
      const onPolicy = rows.map(({ oldLogProbs: _old, ...rest }) => rest);
      const detached = detachedOf(onPolicy);
      const options = { clipLow: 0.2, clipHigh: 0.2, aggregation: 'token-mean' as const, constantNormalizer: 1, klCoefficient: 0 };
      const result = clippedSurrogateLoss(onPolicy, options, detached);
      expect(result.parts.meanRatio).toBeCloseTo(1, 12);
      expect(maxGradientError(onPolicy, (r) => clippedSurrogateLoss(r, options, detached).loss, result.gradient)).toBeLessThan(TOLERANCE);
    }
  });

  it('RFT loss', () => {
    for (const seed of SEEDS) {
      const rows = randomRows(seed);
      const { gradient } = rftLoss(rows);
      expect(maxGradientError(rows, (r) => rftLoss(r).loss, gradient)).toBeLessThan(TOLERANCE);
      rows.forEach((row, i) => {
        if (row.reward <= 0) expect(gradient[i]?.every((g) => g === 0)).toBe(true);
      });
    }
  });

  it('every registered built-in objective except OREAL: compute() passes the check as is', () => {
    // OREAL's negative term exp(ℓ − sg(ℓ)) has a constant value, so its compute() cannot be
    // differentiated numerically; it is checked through orealLoss with sg(ℓ) fixed above.
    const registry = createObjectiveRegistry();
    for (const name of registry.names().filter((n) => n !== 'oreal')) {
      const objective = registry.create(name, name === 'rft' ? {} : { klCoefficient: 0.05 });
      for (const seed of SEEDS) {
        const rows = randomRows(seed);
        const { gradient } = objective.compute(rows);
        expect(maxGradientError(rows, (r) => objective.compute(r).loss, gradient), name).toBeLessThan(TOLERANCE);
      }
    }
  });
});
