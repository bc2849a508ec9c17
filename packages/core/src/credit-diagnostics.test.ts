import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logitAccuracy, negativeMassShare, rocAuc, summariseNegativeMass } from './credit-diagnostics';

/** O(n₊ n₋) definition of the AUC, to check the rank formula against. */
function pairwiseAuc(scores: number[], labels: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((p, i) => {
    if (!labels[i]) return;
    scores.forEach((n, j) => {
      if (labels[j]) return;
      pairs++;
      wins += p > n ? 1 : p === n ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('negativeMassShare', () => {
  it('shares on and after the marker vs uniform', () => {
    const share = negativeMassShare([0, 0.1, 0.6, 0.3], 2);
    expect(share?.onMarker).toBeCloseTo(0.6, 12);
    expect(share?.atOrAfterMarker).toBeCloseTo(0.9, 12);
    expect(share?.uniformOnMarker).toBe(0.25);
    expect(share?.uniformAtOrAfterMarker).toBe(0.5);
    expect(negativeMassShare([0, 0], 1)).toBeNull();
    expect(() => negativeMassShare([1, 1], 2)).toThrow(/marker/);
    expect(() => negativeMassShare([1, -1], 0)).toThrow(/weights\[1\]/);
  });

  it('property: ω ≡ 1 gives exactly the uniform shares; shares lie in [0, 1], on ≤ at-or-after', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 30 }), fc.nat(), (w, m) => {
        const marker = m % w.length;
        const uniform = negativeMassShare(w.map(() => 1), marker);
        expect(uniform?.onMarker).toBeCloseTo(uniform?.uniformOnMarker as number, 12);
        expect(uniform?.atOrAfterMarker).toBeCloseTo(uniform?.uniformAtOrAfterMarker as number, 12);
        const share = negativeMassShare(w, marker);
        if (share === null) return;
        expect(share.onMarker).toBeGreaterThanOrEqual(0);
        expect(share.atOrAfterMarker).toBeLessThanOrEqual(1 + 1e-12);
        expect(share.onMarker).toBeLessThanOrEqual(share.atOrAfterMarker + 1e-12);
      }),
    );
  });

  it('summariseNegativeMass averages per rollout and counts rollouts without mass', () => {
    const summary = summariseNegativeMass([[1, 0], [0, 0, 0], [0, 0, 1, 1]], [0, 1, 3]);
    expect(summary).toMatchObject({ rollouts: 2, withoutMass: 1 });
    expect(summary?.onMarker).toBeCloseTo((1 + 0.5) / 2, 12);
    expect(summary?.uniformAtOrAfterMarker).toBeCloseTo((1 + 0.25) / 2, 12);
    expect(summariseNegativeMass([[0]], [0])).toBeNull();
    expect(() => summariseNegativeMass([[1]], [])).toThrow(/one marker per rollout/);
  });
});

describe('logitAccuracy and rocAuc', () => {
  it('hand examples; a base-rate predictor (every logit the same sign) has AUC ½ and accuracy = the base rate', () => {
    expect(logitAccuracy([1, -1, 2, -3], [true, false, false, false])).toBe(0.75);
    expect(logitAccuracy([], [])).toBeNull();
    expect(rocAuc([0.9, 0.1, 0.8, 0.3], [true, false, true, false])).toBe(1);
    expect(rocAuc([0.1, 0.9], [true, false])).toBe(0);
    expect(rocAuc([-2, -2, -2, -2], [true, false, false, true])).toBe(0.5);
    expect(logitAccuracy([-2, -2, -2, -2], [true, false, false, false])).toBe(0.75);
    expect(rocAuc([1, 2], [true, true])).toBeNull();
    expect(() => rocAuc([Number.NaN], [true])).toThrow(/scores\[0\]/);
  });

  it('property: the rank formula equals the pairwise definition, and flipping the scores gives 1 − AUC', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -5, max: 5 }), fc.boolean()), { minLength: 2, maxLength: 40 }), (pairs) => {
        const scores = pairs.map(([s]) => s);
        const labels = pairs.map(([, l]) => l);
        const auc = rocAuc(scores, labels);
        if (auc === null) {
          expect(labels.every((l) => l === labels[0])).toBe(true);
          return;
        }
        expect(auc).toBeCloseTo(pairwiseAuc(scores, labels), 12);
        expect(rocAuc(scores.map((s) => -s), labels)).toBeCloseTo(1 - auc, 12);
      }),
    );
  });
});
