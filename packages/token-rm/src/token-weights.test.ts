import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sigmoid } from './sequence-bce';
import { prefixMeanSigmoid, referenceTopKRescale, tokenWeightsFromScores, topKRescale } from './token-weights';

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

  it('thresholds in the reference meaning: ω⁺ = clamp((q − c₊)/(1 − c₊)), ω⁻ = clamp(((1 − q) − c₋)/(1 − c₋))', () => {
    const q = sigmoid(-1); // 1 − q ≈ 0.731
    const [plus, minus] = tokenWeightsFromScores([[1], [-1]], [true, false], { positiveThreshold: 0.25, negativeThreshold: 0.6 });
    expect(plus?.[0]).toBeCloseTo((sigmoid(1) - 0.25) / 0.75, 12);
    expect(minus?.[0]).toBeCloseTo((1 - q - 0.6) / 0.4, 12);
    // the old meaning (c₋ − q)/c₋ would give (0.6 − 0.269)/0.6 ≈ 0.55, not ≈ 0.33
    expect(minus?.[0]).not.toBeCloseTo((0.6 - q) / 0.6, 3);
    // c₋ = 0: the soft weight 1 − q; a higher c₋ zeroes more of the weight
    expect(tokenWeightsFromScores([[-1]], [false], { negativeThreshold: 0 })[0]?.[0]).toBeCloseTo(1 - q, 12);
    expect(tokenWeightsFromScores([[-1]], [false], { negativeThreshold: 0.75 })[0]?.[0]).toBe(0);
    expect(() => tokenWeightsFromScores([[0]], [false], { negativeThreshold: 1 })).toThrow(/negativeThreshold/);
  });

  it('property: ω⁻ is non-increasing in c₋ and non-increasing in q (negatives), ω⁺ non-decreasing in q', () => {
    fc.assert(
      fc.property(fc.double({ min: -8, max: 8, noNaN: true }), fc.double({ min: -8, max: 8, noNaN: true }), fc.double({ min: 0, max: 0.99, noNaN: true }), fc.double({ min: 0, max: 0.99, noNaN: true }), (s1, s2, c1, c2) => {
        const [lo, hi] = s1 <= s2 ? [s1, s2] : [s2, s1];
        const [cLo, cHi] = c1 <= c2 ? [c1, c2] : [c2, c1];
        const minus = (s: number, c: number) => tokenWeightsFromScores([[s]], [false], { negativeThreshold: c })[0]?.[0] as number;
        const plus = (s: number) => tokenWeightsFromScores([[s]], [true])[0]?.[0] as number;
        expect(minus(lo, cHi)).toBeLessThanOrEqual(minus(lo, cLo) + 1e-12);
        expect(minus(hi, cLo)).toBeLessThanOrEqual(minus(lo, cLo) + 1e-12);
        expect(plus(hi)).toBeGreaterThanOrEqual(plus(lo) - 1e-12);
      }),
    );
  });

  it('weights stay in [0, 1] for extreme scores', () => {
    const [plus, minus] = tokenWeightsFromScores([[1e6, -1e6], [-1e6, 1e6]], [true, false]);
    expect(plus).toEqual([1, 0]);
    expect(minus).toEqual([1, 0]);
  });

  it('reference top-k (default mode): raw q / 1 − q per row kind, ⌊ratio·T⌋ kept, min-max normalised', () => {
    // prefix means: row 0 → [2, 0, 1, 0.5], row 1 → [−2, 0, −1, −0.5]
    const scores = [[2, -2, 3, -1], [-2, 2, -3, 1]];
    const [plus, minus] = tokenWeightsFromScores(scores, [true, false], { topKRescale: { positiveRatio: 0.5, negativeRatio: 0.75 } });
    const q = [sigmoid(2), sigmoid(0), sigmoid(1), sigmoid(0.5)];
    const range = (q[0] as number) - (q[1] as number);
    // positives: k = ⌊0.5·4⌋ = 2 → tokens 0 and 2; thresholds are not applied (q = 0.5 would give ω⁺ = 0 otherwise)
    expect(plus?.[0]).toBeCloseTo(1, 12);
    expect(plus?.[2]).toBeCloseTo(((q[2] as number) - (q[1] as number)) / range, 12);
    expect([plus?.[1], plus?.[3]]).toEqual([0, 0]);
    // negatives on 1 − q (same numbers mirrored): k = ⌊0.75·4⌋ = 3 → tokens 0, 2, 3; token 1 is the min
    expect(minus?.[0]).toBeCloseTo(1, 12);
    expect(minus?.[2]).toBeCloseTo(((q[2] as number) - (q[1] as number)) / range, 12);
    expect(minus?.[3]).toBeCloseTo(((q[3] as number) - (q[1] as number)) / range, 12);
    expect(minus?.[1]).toBe(0);
  });

  it('sum-preserving top-k (named option) applies per row with the row kind’s ratio', () => {
    const weights = tokenWeightsFromScores([[3, 3, 3, 3], [-3, -3, -3, -3]], [true, false], {
      topKRescale: { positiveRatio: 0.5, negativeRatio: 0.25, mode: 'sum-preserving' },
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

describe('referenceTopKRescale', () => {
  it('keeps ⌊ratio·T⌋ (not ⌈ratio·T⌉) tokens; k = 0 gives zeros; equal probabilities give the kept tokens 1', () => {
    expect(referenceTopKRescale([0.9, 0.1, 0.5, 0.3, 0.2], 0.5)).toEqual([1, 0, 0.5, 0, 0]); // k = 2
    expect(referenceTopKRescale([0.9, 0.1], 0.4)).toEqual([0, 0]); // k = 0
    expect(referenceTopKRescale([0.4, 0.4, 0.4, 0.4], 0.5)).toEqual([1, 1, 0, 0]);
    expect(() => referenceTopKRescale([0.5], 1.5)).toThrow(/ratio/);
  });

  it('property: weights in [0, 1], exactly ⌊ratio·T⌋ candidates, the max gets 1, order preserved among kept', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 40 }), fc.double({ min: 0.01, max: 1, noNaN: true }), (p, ratio) => {
        const w = referenceTopKRescale(p, ratio);
        const k = Math.floor(ratio * p.length);
        expect(w).toHaveLength(p.length);
        for (const x of w) expect(x >= 0 && x <= 1).toBe(true);
        const kept = w.map((x, t) => ({ x, t })).filter((e) => e.x > 0);
        expect(kept.length).toBeLessThanOrEqual(k);
        if (k > 0 && Math.max(...p) > Math.min(...p)) expect(Math.max(...w)).toBe(1);
        for (const a of kept) for (const b of kept) if ((p[a.t] as number) > (p[b.t] as number)) expect(a.x).toBeGreaterThanOrEqual(b.x);
      }),
    );
  });
});
