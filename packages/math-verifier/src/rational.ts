/** Exact rational numbers on BigInt, always normalised (gcd 1, positive denominator). */
export interface Rational {
  readonly n: bigint;
  readonly d: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Build `n / d` in lowest terms; `null` when `d` is zero. */
export function rational(n: bigint, d = 1n): Rational | null {
  if (d === 0n) return null;
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d);
  return g > 1n ? { n: n / g, d: d / g } : { n, d };
}

export const ZERO: Rational = { n: 0n, d: 1n };
export const ONE: Rational = { n: 1n, d: 1n };

export const add = (a: Rational, b: Rational): Rational => rational(a.n * b.d + b.n * a.d, a.d * b.d) as Rational;
export const sub = (a: Rational, b: Rational): Rational => rational(a.n * b.d - b.n * a.d, a.d * b.d) as Rational;
export const mul = (a: Rational, b: Rational): Rational => rational(a.n * b.n, a.d * b.d) as Rational;
export const div = (a: Rational, b: Rational): Rational | null => rational(a.n * b.d, a.d * b.n);
export const neg = (a: Rational): Rational => ({ n: -a.n, d: a.d });
export const equals = (a: Rational, b: Rational): boolean => a.n === b.n && a.d === b.d;
export const isInteger = (a: Rational): boolean => a.d === 1n;

/** Approximate bit length of a BigInt magnitude. */
export function bitLength(x: bigint): number {
  if (x < 0n) x = -x;
  return x === 0n ? 0 : x.toString(16).length * 4;
}

/** `a^k` for an integer exponent, or `null` when the result would exceed `maxBits` or divides by 0. */
export function powInteger(a: Rational, k: bigint, maxBits: number): Rational | null {
  if (k === 0n) return a.n === 0n ? null : ONE;
  const size = Math.max(bitLength(a.n), bitLength(a.d));
  const magnitude = k < 0n ? -k : k;
  if (size > 1 && Number(magnitude) * size > maxBits) return null;
  if (magnitude > 1_000_000n) return null;
  const e = magnitude;
  const result = rational(a.n ** e, a.d ** e);
  if (result === null) return null;
  return k < 0n ? div(ONE, result) : result;
}

/** Nearest double of a rational (exact for small values). */
export function toNumber(a: Rational): number {
  const value = Number(a.n) / Number(a.d);
  if (Number.isFinite(value) && value !== 0) return value;
  if (a.n === 0n) return 0;
  // Very large numerator and denominator: scale both down.
  const shift = BigInt(Math.max(0, Math.max(bitLength(a.n), bitLength(a.d)) - 1000));
  return Number(a.n >> shift) / Number(a.d >> shift);
}

/** Parse a decimal string (`12`, `-0.15`, `.5`, `3.`) with an optional repeating block into a rational. */
export function parseDecimal(text: string, repeating = ''): Rational | null {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match) return null;
  const sign = match[1] === '-' ? -1n : 1n;
  const whole = match[2] ?? '';
  const fraction = match[3] ?? '';
  if (whole === '' && fraction === '' && repeating === '') return null;
  const base = BigInt((whole || '0') + fraction);
  const scale = 10n ** BigInt(fraction.length);
  let value = rational(base, scale) as Rational;
  if (repeating) {
    // 0.ab(cd) = ab/100 + cd / (100 * 99)
    const block = BigInt(repeating);
    const nines = 10n ** BigInt(repeating.length) - 1n;
    value = add(value, rational(block, scale * nines) as Rational);
  }
  return sign < 0n ? neg(value) : value;
}

/** Render as `n` or `n/d`. */
export function formatRational(a: Rational): string {
  return a.d === 1n ? a.n.toString() : `${a.n}/${a.d}`;
}
