import { describe, expect, it } from 'vitest';
import { passAtK, passAtKCurve } from './pass-at-k';

/** Exact binomial coefficient for small arguments (the closed form the estimator must match). */
function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return Math.round(result);
}

describe('passAtK', () => {
  it('matches 1 − C(n−c,k)/C(n,k) on a hand-made table', () => {
    // n, c, k, value worked out by hand from the binomials
    const table: [number, number, number, number][] = [
      [5, 2, 1, 2 / 5], // 1 − C(3,1)/C(5,1) = 1 − 3/5
      [5, 2, 2, 7 / 10], // 1 − C(3,2)/C(5,2) = 1 − 3/10
      [5, 2, 3, 9 / 10], // 1 − C(3,3)/C(5,3) = 1 − 1/10
      [5, 2, 4, 1], // C(3,4) = 0
      [16, 1, 4, 1 / 4], // 1 − C(15,4)/C(16,4) = 1 − 1365/1820
      [16, 0, 8, 0],
      [16, 16, 1, 1],
      [10, 3, 5, 1 - 21 / 252], // C(7,5) = 21, C(10,5) = 252
    ];
    for (const [n, c, k, expected] of table) {
      expect(passAtK(n, c, k)).toBeCloseTo(expected, 12);
      expect(passAtK(n, c, k)).toBeCloseTo(1 - binomial(n - c, k) / binomial(n, k), 12);
    }
  });

  it('equals c/n at k = 1 for every c', () => {
    for (let c = 0; c <= 16; c++) expect(passAtK(16, c, 1)).toBeCloseTo(c / 16, 14);
  });

  it('stays finite and correct where the binomials overflow doubles', () => {
    // log C(a,b) via sums of logs, compared in log space
    const logBinomial = (a: number, b: number) => {
      let s = 0;
      for (let i = 1; i <= b; i++) s += Math.log(a - b + i) - Math.log(i);
      return s;
    };
    const n = 4000;
    const c = 3;
    const k = 1000;
    const expected = 1 - Math.exp(logBinomial(n - c, k) - logBinomial(n, k));
    const value = passAtK(n, c, k);
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeCloseTo(expected, 10);
  });

  it('rejects arguments outside the domain', () => {
    expect(() => passAtK(4, 5, 1)).toThrow(/correct/);
    expect(() => passAtK(4, 2, 5)).toThrow(/k/);
    expect(() => passAtK(0, 0, 1)).toThrow(/n/);
  });
});

describe('passAtKCurve', () => {
  it('averages the estimator over problems for every k up to the smallest n', () => {
    const curve = passAtKCurve([
      { n: 4, correct: 1 },
      { n: 4, correct: 0 },
      { n: 4, correct: 4 },
    ]);
    expect(curve.map((p) => p.k)).toEqual([1, 2, 3, 4]);
    // problem 1: 1 − C(3,k)/C(4,k) = k/4; problem 2: 0; problem 3: 1
    curve.forEach(({ k, value }) => expect(value).toBeCloseTo((k / 4 + 0 + 1) / 3, 12));
    expect(passAtKCurve([])).toEqual([]);
  });
});
