/** Greatest common divisor of |a| and |b| (gcd(0, 0) = 0). */
export function greatestCommonDivisor(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** Least common multiple of two positive integers. */
export function leastCommonMultiple(a: number, b: number): number {
  return (a / greatestCommonDivisor(a, b)) * b;
}

/** p/q in lowest terms with a positive denominator. */
export function reduceFraction(p: number, q: number): { p: number; q: number } {
  if (q === 0) throw new RangeError('denominator is zero');
  const g = greatestCommonDivisor(p, q) || 1;
  const sign = q < 0 ? -1 : 1;
  return { p: (sign * p) / g, q: (sign * q) / g };
}

/** LaTeX of a reduced p/q: an integer when q = 1, else `\frac{p}{q}` with the sign in front. */
export function fractionLatex(p: number, q: number): string {
  const r = reduceFraction(p, q);
  if (r.q === 1) return String(r.p);
  return `${r.p < 0 ? '-' : ''}\\frac{${Math.abs(r.p)}}{${r.q}}`;
}

/** Plain text of a reduced p/q: `7`, `3/2` or `-3/2`. */
export function fractionText(p: number, q: number): string {
  const r = reduceFraction(p, q);
  return r.q === 1 ? String(r.p) : `${r.p}/${r.q}`;
}

/** The decimal digits of a non-negative integer, least significant first, padded to `length`. */
export function digitsOf(value: number, length: number): number[] {
  const out: number[] = [];
  let rest = value;
  for (let i = 0; i < length; i++) {
    out.push(rest % 10);
    rest = Math.floor(rest / 10);
  }
  return out;
}

/** A uniformly random integer with between `minDigits` and `maxDigits` digits (digit count uniform first). */
export function randomWithDigits(
  rng: { intBetween(min: number, max: number): number },
  minDigits: number,
  maxDigits: number,
): number {
  const digits = rng.intBetween(Math.min(minDigits, maxDigits), Math.max(minDigits, maxDigits));
  const low = digits === 1 ? 0 : 10 ** (digits - 1);
  return rng.intBetween(low, 10 ** digits - 1);
}
