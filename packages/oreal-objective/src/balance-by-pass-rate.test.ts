import type { Problem } from '@oreal-ts/core';
import { describe, expect, it } from 'vitest';
import { balanceByPassRate } from './balance-by-pass-rate';

const problem = (id: string, passRate?: number): Problem => ({ id, question: id, answer: '1', ...(passRate === undefined ? {} : { passRate }) });

describe('balanceByPassRate', () => {
  it('repeats by the reference bins and drops pass rates ≥ 0.8', () => {
    const input = [
      problem('a', 0),
      problem('b', 0.19),
      problem('c', 0.2),
      problem('d', 0.5),
      problem('e', 0.79),
      problem('f', 0.8),
      problem('g', 1),
    ];
    const out = balanceByPassRate(input);
    const count = (id: string) => out.filter((p) => p.id === id).length;
    expect([count('a'), count('b'), count('c'), count('d'), count('e'), count('f'), count('g')]).toEqual([6, 6, 4, 4, 2, 0, 0]);
    expect(out.map((p) => p.id).join('')).toBe('aaaaaabbbbbbccccddddee');
  });

  it('problems without a pass rate: kept once by default, or dropped, or an error', () => {
    const input = [problem('x'), problem('y', 0.1)];
    expect(balanceByPassRate(input).filter((p) => p.id === 'x')).toHaveLength(1);
    expect(balanceByPassRate(input, undefined, { missingPassRate: 'drop' }).filter((p) => p.id === 'x')).toHaveLength(0);
    expect(() => balanceByPassRate(input, undefined, { missingPassRate: 'error' })).toThrow(/problem 'x'.*passRate/);
  });

  it('accepts custom bins and rejects bad ones or bad pass rates', () => {
    expect(balanceByPassRate([problem('a', 0.9)], [{ min: 0.5, max: 1.01, repeat: 3 }])).toHaveLength(3);
    expect(() => balanceByPassRate([], [{ min: 0.5, max: 0.2, repeat: 1 }])).toThrow(/bins\[0\]/);
    expect(() => balanceByPassRate([problem('z', 1.5)])).toThrow(/passRate/);
  });
});
