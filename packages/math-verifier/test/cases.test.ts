import { describe, expect, it } from 'vitest';
import { compareAnswers } from '../src/index';
import { CASES } from './cases';

describe('hand-written case table', () => {
  it('has at least 300 rows, equal and unequal ones in every category', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(300);
    const categories = new Map<string, { equal: number; unequal: number }>();
    for (const c of CASES) {
      const counts = categories.get(c.category) ?? { equal: 0, unequal: 0 };
      if (c.equal) counts.equal++;
      else counts.unequal++;
      categories.set(c.category, counts);
    }
    for (const [category, counts] of categories) {
      expect(counts.equal, `${category} has equal rows`).toBeGreaterThan(0);
      expect(counts.unequal, `${category} has near-miss rows`).toBeGreaterThan(0);
    }
  });

  it.each(CASES.map((c) => [c.category, c.gold, c.predicted, c.equal, c.reason] as const))('%s: %s vs %s → %s', (_category, gold, predicted, equal, reason) => {
    const result = compareAnswers(gold, predicted);
    expect(result.equal, result.detail).toBe(equal);
    if (reason) expect(result.reason).toBe(reason);
    if (equal) expect(['string-equal', 'numeric-equal', 'symbolic-equal']).toContain(result.reason);
    else expect(['mismatch', 'parse-failed']).toContain(result.reason);
  });

  it('is symmetric on the table except the documented base-subscript rule (answers can be clustered for maj@k)', () => {
    const asymmetric = CASES.filter((c) => compareAnswers(c.predicted, c.gold).equal !== c.equal);
    // Gold `2516_8` accepts a bare `2516` (subscript omitted); a bare gold is a base-10 value, so
    // a based prediction must have that value (`36` accepts `40_9`, `40` does not).
    expect(asymmetric.map((c) => `${c.gold} | ${c.predicted}`)).toEqual(['2516_8 | 2516', '40_9 | 40', '204_5 | 54', '36 | 40_9', '40 | 40_9']);
  });
});
