import { describe, expect, it } from 'vitest';
import { OREAL_LOSS_DEFAULTS, orealLoss } from './oreal-loss';

const noKl = { ...OREAL_LOSS_DEFAULTS, klCoefficient: 0 };
const positiveRow = { reward: 1, advantage: 2, logProbs: [-1, -2], tokenWeights: [1, 0.5] };
const negativeRow = { reward: -1, advantage: -0.5, logProbs: [-0.5], tokenWeights: [0.4] };

describe('orealLoss on a hand-computed example', () => {
  it('positive term λ₊/N₊ Σ A ω (−ℓ), negative term λ₋/N₋ Σ |A| ω, their gradients', () => {
    const result = orealLoss([positiveRow, negativeRow], noKl);
    // N₊ = 2, N₋ = 1. positive = 1/2 · 2 · (1·1 + 0.5·2) = 2; negative = 0.5/1 · 0.5 · 0.4 = 0.1
    expect(result.parts.positive).toBeCloseTo(2, 12);
    expect(result.parts.negative).toBeCloseTo(0.1, 12);
    expect(result.loss).toBeCloseTo(2.1, 12);
    expect(result.gradient[0]?.[0]).toBeCloseTo(-1, 12);
    expect(result.gradient[0]?.[1]).toBeCloseTo(-0.5, 12);
    expect(result.gradient[1]?.[0]).toBeCloseTo(0.1, 12);
    expect(result.parts).toMatchObject({ tokensPositive: 2, tokensNegative: 1, tokensAll: 3, rowsPositive: 1, rowsNegative: 1 });
  });

  it('without multiplyPositiveByAdvantage the positive term is plain weighted behaviour cloning', () => {
    const result = orealLoss([positiveRow, negativeRow], { ...noKl, multiplyPositiveByAdvantage: false });
    expect(result.parts.positive).toBeCloseTo(1, 12); // 1/2 · (1 + 1)
    expect(result.gradient[0]?.[0]).toBeCloseTo(-0.5, 12);
  });

  it('k3 KL over N_all tokens: value (β/N_all) Σ (e^d − d − 1), gradient (β/N_all)(1 − e^d)', () => {
    const d = 0.25;
    const rows = [
      { ...positiveRow, referenceLogProbs: positiveRow.logProbs.map((l) => l + d) },
      { ...negativeRow, referenceLogProbs: negativeRow.logProbs.map((l) => l + d) },
    ];
    const result = orealLoss(rows, OREAL_LOSS_DEFAULTS);
    const perToken = Math.exp(d) - d - 1;
    expect(result.parts.kl).toBeCloseTo((0.01 / 3) * 3 * perToken, 14);
    expect(result.parts.klMean).toBeCloseTo(perToken, 14);
    expect(result.gradient[1]?.[0]).toBeCloseTo(0.1 + (0.01 / 3) * (1 - Math.exp(d)), 14);
  });

  it('a batch with only positives (or nothing) has no negative term and no NaN', () => {
    const onlyPositive = orealLoss([positiveRow], noKl);
    expect(onlyPositive.parts.negative).toBe(0);
    expect(Number.isFinite(onlyPositive.loss)).toBe(true);
    expect(orealLoss([], noKl)).toMatchObject({ loss: 0, gradient: [] });
  });

  it('ω ≡ 1 when a row has no token weights', () => {
    const { tokenWeights: _w, ...unweighted } = negativeRow;
    expect(orealLoss([unweighted], noKl).gradient[0]?.[0]).toBeCloseTo(0.5 * 0.5, 12);
  });

  it('refuses missing reference log-probs when β > 0, and mismatched lengths', () => {
    expect(() => orealLoss([positiveRow], OREAL_LOSS_DEFAULTS)).toThrow(/rows\[0\]\.referenceLogProbs.*KL coefficient/);
    expect(() => orealLoss([{ ...positiveRow, tokenWeights: [1] }], noKl)).toThrow(/tokenWeights: has 1 values but the response has 2 tokens/);
  });
});
