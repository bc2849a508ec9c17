import { describe, expect, it } from 'vitest';
import { passAtOne, Z_95 } from './pass-at-one';

describe('passAtOne', () => {
  it('is the mean of per-problem rates with a normal-approximation interval over problems', () => {
    // rates 0.5, 0.75, 0.25, 0.5: mean 0.5, sample variance (0 + 1/16 + 1/16 + 0)/3 = 1/24
    const result = passAtOne([
      { n: 4, correct: 2 },
      { n: 4, correct: 3 },
      { n: 4, correct: 1 },
      { n: 2, correct: 1 },
    ]);
    const standardError = Math.sqrt(1 / 24 / 4);
    expect(result.value).toBeCloseTo(0.5, 14);
    expect(result.standardError).toBeCloseTo(standardError, 14);
    expect(result.lower).toBeCloseTo(0.5 - 1.959963985 * standardError, 8);
    expect(result.upper).toBeCloseTo(0.5 + 1.959963985 * standardError, 8);
    expect(result.problems).toBe(4);
  });

  it('clamps the interval to [0, 1] and handles one problem and none', () => {
    const wide = passAtOne([
      { n: 1, correct: 1 },
      { n: 1, correct: 0 },
    ]);
    expect(wide.lower).toBe(0);
    expect(wide.upper).toBe(1);
    expect(passAtOne([{ n: 3, correct: 3 }])).toMatchObject({ value: 1, lower: 1, upper: 1, standardError: 0 });
    expect(passAtOne([]).problems).toBe(0);
    expect(Z_95).toBeCloseTo(1.96, 2);
  });
});
