import { describe, expect, it } from 'vitest';
import { sigmoid } from './sequence-bce';
import { prefixMeanSigmoid, tokenWeightsFromScores, topKRescale } from './token-weights';

describe('prefixMeanSigmoid', () => {
  it('q_t = σ(mean of s_1..s_t)', () => {
    const [q] = prefixMeanSigmoid([[2, -4, 5]]);
    expect(q?.[0]).toBeCloseTo(sigmoid(2), 12);
    expect(q?.[1]).toBeCloseTo(sigmoid(-1), 12);
    expect(q?.[2]).toBeCloseTo(sigmoid(1), 12);
  });
});

describe('tokenWeightsFromScores', () => {
  const scores = [[2, -4, 5], [2, -4, 5]];
  it('ω⁺ = clamp(2q − 1, 0, 1) on positives, ω⁻ = clamp(1 − 2q, 0, 1) on negatives', () => {
    const [plus, minus] = tokenWeightsFromScores(scores, [true, false]);
    const q = [sigmoid(2), sigmoid(-1), sigmoid(1)];
    expect(plus?.[0]).toBeCloseTo(2 * (q[0] as number) - 1, 12);
    expect(plus?.[1]).toBe(0); // q < 0.5
    expect(plus?.[2]).toBeCloseTo(2 * (q[2] as number) - 1, 12);
    expect(minus?.[0]).toBe(0);
    expect(minus?.[1]).toBeCloseTo(1 - 2 * (q[1] as number), 12);
    expect(minus?.[2]).toBe(0);
  });

  it('thresholds generalise the rescale: ω⁺ = clamp((q − c₊)/(1 − c₊)), ω⁻ = clamp((c₋ − q)/c₋)', () => {
    const [plus, minus] = tokenWeightsFromScores([[0], [0]], [true, false], { positiveThreshold: 0.25, negativeThreshold: 0.75 });
    expect(plus?.[0]).toBeCloseTo((0.5 - 0.25) / 0.75, 12);
    expect(minus?.[0]).toBeCloseTo((0.75 - 0.5) / 0.75, 12);
  });

  it('weights stay in [0, 1] for extreme scores', () => {
    const [plus, minus] = tokenWeightsFromScores([[1e6, -1e6], [-1e6, 1e6]], [true, false]);
    expect(plus).toEqual([1, 0]);
    expect(minus).toEqual([1, 0]);
  });

  it('applies the top-k rescale per row with the row kind’s ratio', () => {
    const weights = tokenWeightsFromScores([[3, 3, 3, 3], [-3, -3, -3, -3]], [true, false], {
      topKRescale: { positiveRatio: 0.5, negativeRatio: 0.25 },
    });
    expect(weights[0]).toEqual([2, 2, 0, 0]);
    expect(weights[1]).toEqual([4, 0, 0, 0]);
  });
});

describe('topKRescale', () => {
  it('keeps the ⌈ratio·T⌉ largest weights, rescaled to sum to T', () => {
    const out = topKRescale([0.1, 0.6, 0.2, 0.3, 0], 0.4);
    // k = 2: keep 0.6 and 0.3, scale 5 / 0.9
    expect(out[1]).toBeCloseTo((0.6 * 5) / 0.9, 12);
    expect(out[3]).toBeCloseTo((0.3 * 5) / 0.9, 12);
    expect(out.filter((w) => w === 0)).toHaveLength(3);
    expect(out.reduce((s, w) => s + w, 0)).toBeCloseTo(5, 12);
  });
  it('keeps at least one token; all-zero weights stay zero; bad ratios throw', () => {
    expect(topKRescale([0.2, 0.1], 0.01)).toEqual([2, 0]);
    expect(topKRescale([0, 0, 0], 0.5)).toEqual([0, 0, 0]);
    expect(topKRescale([], 0.5)).toEqual([]);
    expect(() => topKRescale([1], 0)).toThrow(/ratio/);
  });
});
