import { describe, expect, it } from 'vitest';
import { clippedSurrogateLoss } from './clipped-surrogate-loss';
import { aggregationScales } from './policy-gradient-loss';

const options = { clipLow: 0.2, clipHigh: 0.2, aggregation: 'token-mean' as const, constantNormalizer: 1, klCoefficient: 0 };
const row = (advantage: number, logRatio: number) => ({ reward: Math.sign(advantage), advantage, logProbs: [logRatio], oldLogProbs: [0] });

describe('clippedSurrogateLoss: PPO clipping cases (one token each)', () => {
  const up = Math.exp(0.5); // ratio above 1 + ε
  const down = Math.exp(-0.5); // ratio below 1 − ε
  it('A > 0, ratio above 1 + ε_high: clipped, no gradient', () => {
    const r = clippedSurrogateLoss([row(1, 0.5)], options);
    expect(r.loss).toBeCloseTo(-1.2, 12);
    expect(r.gradient[0]?.[0]).toBe(0);
    expect(r.parts.clipFraction).toBe(1);
  });
  it('A < 0, ratio above 1 + ε_high: unclipped (pessimistic), gradient −Aρ', () => {
    const r = clippedSurrogateLoss([row(-1, 0.5)], options);
    expect(r.loss).toBeCloseTo(up, 12);
    expect(r.gradient[0]?.[0]).toBeCloseTo(up, 12);
  });
  it('A > 0, ratio below 1 − ε_low: unclipped, gradient −Aρ', () => {
    const r = clippedSurrogateLoss([row(1, -0.5)], options);
    expect(r.loss).toBeCloseTo(-down, 12);
    expect(r.gradient[0]?.[0]).toBeCloseTo(-down, 12);
  });
  it('A < 0, ratio below 1 − ε_low: clipped, no gradient', () => {
    const r = clippedSurrogateLoss([row(-1, -0.5)], options);
    expect(r.loss).toBeCloseTo(0.8, 12);
    expect(r.gradient[0]?.[0]).toBe(0);
  });
  it('separate high clip: ratio 1.25 is clipped at 1.2 but not at 1.28', () => {
    const logRatio = Math.log(1.25);
    expect(clippedSurrogateLoss([row(1, logRatio)], options).gradient[0]?.[0]).toBe(0);
    expect(clippedSurrogateLoss([row(1, logRatio)], { ...options, clipHigh: 0.28 }).gradient[0]?.[0]).toBeCloseTo(-1.25, 12);
  });
});

describe('aggregationScales', () => {
  const rows = [
    { reward: 1, advantage: 1, logProbs: [-1, -1] },
    { reward: -1, advantage: -1, logProbs: [-1, -1, -1, -1] },
  ];
  it('token-mean 1/ΣT, sequence-mean 1/(R·T_i), sequence-sum 1/R, constant 1/(R·C)', () => {
    expect(aggregationScales(rows, 'token-mean')).toEqual([1 / 6, 1 / 6]);
    expect(aggregationScales(rows, 'sequence-mean')).toEqual([1 / 4, 1 / 8]);
    expect(aggregationScales(rows, 'sequence-sum')).toEqual([1 / 2, 1 / 2]);
    expect(aggregationScales(rows, 'constant', 10)).toEqual([1 / 20, 1 / 20]);
  });
});
