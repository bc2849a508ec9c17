import { describe, expect, it } from 'vitest';
import { compareAnswers } from './compare-answers';
import type { SymbolicBackend } from './compare-scalars';

describe('compareAnswers options', () => {
  it('percent: scale (default) vs strip', () => {
    expect(compareAnswers('50\\%', '0.5').equal).toBe(true);
    expect(compareAnswers('50\\%', '0.5', { percent: 'strip' }).equal).toBe(false);
    expect(compareAnswers('50\\%', '50', { percent: 'strip' }).equal).toBe(true);
  });

  it('relativeTolerance loosens only non-rational comparisons', () => {
    expect(compareAnswers('\\pi', '3.1416').equal).toBe(false);
    expect(compareAnswers('\\pi', '3.1416', { relativeTolerance: 1e-4 })).toMatchObject({ equal: true, reason: 'symbolic-equal' });
    // Both rational: always exact, whatever the tolerance.
    expect(compareAnswers('\\frac13', '0.3333', { relativeTolerance: 1e-2 }).equal).toBe(false);
  });

  it('asks the symbolic backend only for leaves it cannot parse, and says when it would help', () => {
    const calls: string[][] = [];
    const backend: SymbolicBackend = { compare: (a, b) => (calls.push([a, b]), { equal: true }) };
    expect(compareAnswers('2', '\\frac{4}{2}', { symbolicBackend: backend }).equal).toBe(true);
    expect(calls).toEqual([]);
    const without = compareAnswers('2', '\\Gamma(3)');
    expect(without).toMatchObject({ equal: false, reason: 'parse-failed', symbolicBackendMayHelp: true });
    expect(compareAnswers('2', '\\Gamma(3)', { symbolicBackend: backend })).toMatchObject({ equal: true, reason: 'symbolic-equal' });
    expect(calls).toEqual([['2', '\\Gamma(3)']]);
    // Overflow is not a parsing problem: no backend would help.
    expect(compareAnswers('5', '9^{9^{9}}+1').symbolicBackendMayHelp).toBeUndefined();
  });

  it('explains with the normalised forms', () => {
    expect(compareAnswers('\\dfrac{1}{2}', '0.5').detail).toBe("normalised gold '\\frac{1}{2}', prediction '0.5'");
  });

  it('units: compared when both sides carry one (default), ignored with drop', () => {
    expect(compareAnswers('5\\text{ cm}^2', '5 cm')).toMatchObject({ equal: false, rule: 'unit-mismatch' });
    expect(compareAnswers('5\\text{ cm}^2', '5 square centimeters').equal).toBe(true);
    expect(compareAnswers('5\\text{ cm}^2', '5').equal).toBe(true);
    expect(compareAnswers('5\\text{ cm}^2', '5 cm', { units: 'drop' }).equal).toBe(true);
  });
});

