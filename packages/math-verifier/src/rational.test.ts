import { describe, expect, it } from 'vitest';
import { formatRational, parseDecimal, powInteger, rational } from './rational';

describe('rational', () => {
  it('normalises sign and gcd', () => {
    expect(rational(6n, -4n)).toEqual({ n: -3n, d: 2n });
    expect(rational(1n, 0n)).toBeNull();
  });

  it('parses decimals and repeating decimals exactly', () => {
    expect(formatRational(parseDecimal('0.15') as never)).toBe('3/20');
    expect(formatRational(parseDecimal('.5') as never)).toBe('1/2');
    expect(formatRational(parseDecimal('0.', '3') as never)).toBe('1/3');
    expect(formatRational(parseDecimal('0.1', '6') as never)).toBe('1/6');
    expect(formatRational(parseDecimal('3.', '283') as never)).toBe('3280/999');
    expect(parseDecimal('1.2.3')).toBeNull();
  });

  it('refuses powers beyond the bit cap instead of computing them', () => {
    expect(formatRational(powInteger({ n: 2n, d: 1n }, -50n, 4096) as never)).toBe(`1/${2n ** 50n}`);
    expect(powInteger({ n: 9n, d: 1n }, 387_420_489n, 4096)).toBeNull();
    expect(powInteger({ n: 0n, d: 1n }, 0n, 4096)).toBeNull();
  });
});
