import { describe, expect, it } from 'vitest';
import { grpoAdvantages, meanBaselineAdvantages, rlooAdvantages } from './advantages';

/** K rewards of ±1 with `correct` of them +1 (the correct ones first). */
const rewardsOf = (k: number, correct: number) => Array.from({ length: k }, (_, i) => (i < correct ? 1 : -1));

// The K = 16 reference table of oreal-method.md ("Reference values"), typed from the document.
const REFERENCE_TABLE = [
  { correct: 1, p: 0.0625, aPlus: 2.0, aMinus: -0.1333, ratio: 0.0667, grpoPlus: 3.75, grpoMinus: -0.25 },
  { correct: 4, p: 0.25, aPlus: 1.6, aMinus: -0.5333, ratio: 0.3333, grpoPlus: 1.6771, grpoMinus: -0.559 },
  { correct: 8, p: 0.5, aPlus: 1.0667, aMinus: -1.0667, ratio: 1.0, grpoPlus: 0.9682, grpoMinus: -0.9682 },
  { correct: 15, p: 0.9375, aPlus: 0.1333, aMinus: -2.0, ratio: 15.0, grpoPlus: 0.25, grpoMinus: -3.75 },
];

describe('advantages: the K = 16 reference table (oreal-method.md)', () => {
  for (const row of REFERENCE_TABLE) {
    it(`#correct = ${row.correct}: RLOO and GRPO columns to 1e-4`, () => {
      const rewards = rewardsOf(16, row.correct);
      const rloo = rlooAdvantages(rewards);
      const grpo = grpoAdvantages(rewards);
      expect(rewards.filter((r) => r > 0).length / 16).toBeCloseTo(row.p, 10);
      expect(Math.abs((rloo[0] as number) - row.aPlus)).toBeLessThan(1e-4);
      expect(Math.abs((rloo[15] as number) - row.aMinus)).toBeLessThan(1e-4);
      expect(Math.abs(Math.abs(rloo[15] as number) / (rloo[0] as number) - row.ratio)).toBeLessThan(1e-4);
      expect(Math.abs((grpo[0] as number) - row.grpoPlus)).toBeLessThan(1e-4);
      expect(Math.abs((grpo[15] as number) - row.grpoMinus)).toBeLessThan(1e-4);
      // every positive (negative) gets the same advantage
      rloo.forEach((a, i) => expect(a).toBeCloseTo(i < row.correct ? row.aPlus : row.aMinus, 3));
    });
  }

  it('RLOO matches the closed forms A⁺ = 2K(1−p)/(K−1), A⁻ = −2Kp/(K−1) for several K', () => {
    for (const k of [2, 5, 8, 16, 33]) {
      for (let correct = 1; correct < k; correct++) {
        const p = correct / k;
        const a = rlooAdvantages(rewardsOf(k, correct));
        expect(a[0]).toBeCloseTo((2 * k * (1 - p)) / (k - 1), 12);
        expect(a[k - 1]).toBeCloseTo((-2 * k * p) / (k - 1), 12);
      }
    }
  });

  it('all-same groups get zero advantage with every estimator; a group of one gets 0', () => {
    for (const rewards of [rewardsOf(8, 0), rewardsOf(8, 8)]) {
      expect(rlooAdvantages(rewards).every((a) => a === 0)).toBe(true);
      expect(grpoAdvantages(rewards).every((a) => a === 0)).toBe(true);
      expect(meanBaselineAdvantages(rewards).every((a) => a === 0)).toBe(true);
    }
    expect(rlooAdvantages([1])).toEqual([0]);
    expect(grpoAdvantages([-1])).toEqual([0]);
  });

  it('mean baseline = r − mean (no std division)', () => {
    expect(meanBaselineAdvantages([1, -1, -1, -1])).toEqual([1.5, -0.5, -0.5, -0.5]);
  });

  it('GRPO uses the unbiased std and the epsilon', () => {
    // rewards [1, 0]: mean 0.5, unbiased std = sqrt(0.5)
    const [a] = grpoAdvantages([1, 0], { epsilon: 0 });
    expect(a).toBeCloseTo(0.5 / Math.sqrt(0.5), 12);
    const [b] = grpoAdvantages([1, 0], { epsilon: 1 });
    expect(b).toBeCloseTo(0.5 / (Math.sqrt(0.5) + 1), 12);
  });

  it('rejects non-finite rewards', () => {
    expect(() => rlooAdvantages([1, Number.NaN])).toThrow(/rewards\[1\]/);
  });
});
