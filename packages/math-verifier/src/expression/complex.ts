/** Minimal complex arithmetic for numeric evaluation. */
export interface Complex {
  readonly re: number;
  readonly im: number;
}

export const complex = (re: number, im = 0): Complex => ({ re, im });
export const NAN: Complex = { re: Number.NaN, im: Number.NaN };

export const cAdd = (a: Complex, b: Complex): Complex => ({ re: a.re + b.re, im: a.im + b.im });
export const cSub = (a: Complex, b: Complex): Complex => ({ re: a.re - b.re, im: a.im - b.im });
export const cMul = (a: Complex, b: Complex): Complex =>
  a.im === 0 && b.im === 0 ? { re: a.re * b.re, im: 0 } : { re: a.re * b.re - a.im * b.im, im: a.re * b.im + a.im * b.re };
export function cDiv(a: Complex, b: Complex): Complex {
  if (a.im === 0 && b.im === 0) return { re: a.re / b.re, im: 0 };
  const d = b.re * b.re + b.im * b.im;
  return { re: (a.re * b.re + a.im * b.im) / d, im: (a.im * b.re - a.re * b.im) / d };
}
export const cAbs = (a: Complex): number => Math.hypot(a.re, a.im);
export const isReal = (a: Complex): boolean => a.im === 0;
export const isFiniteComplex = (a: Complex): boolean => Number.isFinite(a.re) && Number.isFinite(a.im);

/** Principal square root. */
export function cSqrt(a: Complex): Complex {
  if (a.im === 0) return a.re >= 0 ? { re: Math.sqrt(a.re), im: 0 } : { re: 0, im: Math.sqrt(-a.re) };
  const r = cAbs(a);
  const re = Math.sqrt((r + a.re) / 2);
  const im = Math.sign(a.im) * Math.sqrt((r - a.re) / 2);
  return { re, im };
}

export function cExp(a: Complex): Complex {
  const m = Math.exp(a.re);
  return a.im === 0 ? { re: m, im: 0 } : { re: m * Math.cos(a.im), im: m * Math.sin(a.im) };
}

export function cLog(a: Complex): Complex {
  if (a.im === 0 && a.re > 0) return { re: Math.log(a.re), im: 0 };
  return { re: Math.log(cAbs(a)), im: Math.atan2(a.im, a.re) };
}

/** Power: real when possible (negative base with an odd-denominator rational exponent keeps the real root). */
export function cPow(a: Complex, b: Complex, exponentIsInteger: boolean, oddRoot: boolean, oddNumerator = true): Complex {
  if (a.im === 0 && b.im === 0) {
    if (a.re >= 0 || exponentIsInteger) return { re: Math.pow(a.re, b.re), im: 0 };
    if (oddRoot) return { re: (oddNumerator ? -1 : 1) * Math.pow(-a.re, b.re), im: 0 };
  }
  if (exponentIsInteger && b.im === 0 && Math.abs(b.re) <= 64) {
    let result: Complex = { re: 1, im: 0 };
    const n = Math.abs(b.re);
    for (let k = 0; k < n; k++) result = cMul(result, a);
    return b.re < 0 ? cDiv({ re: 1, im: 0 }, result) : result;
  }
  if (a.re === 0 && a.im === 0) return { re: 0, im: 0 };
  return cExp(cMul(b, cLog(a)));
}
