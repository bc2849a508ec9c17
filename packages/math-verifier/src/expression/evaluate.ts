import { LIMITS } from '../limits';
import * as Q from '../rational';
import type { Rational } from '../rational';
import type { Expression } from './ast';
import { cAdd, cDiv, cExp, cLog, cMul, cPow, cSqrt, complex, NAN, type Complex } from './complex';

/**
 * Exact value of a variable-free expression built from rational arithmetic (+, −, ×, ÷, integer
 * powers within `LIMITS.maxExactPowerBits`, factorials, binomials, |x|, perfect square roots);
 * `null` when the value is not (provably) rational or too large.
 */
export function evaluateExact(expression: Expression): Rational | null {
  switch (expression.type) {
    case 'number':
      return expression.value;
    case 'variable':
    case 'constant':
      return null;
    case 'negate': {
      const a = evaluateExact(expression.argument);
      return a && Q.neg(a);
    }
    case 'add': {
      let sum: Rational = Q.ZERO;
      for (const term of expression.terms) {
        const value = evaluateExact(term);
        if (!value) return null;
        sum = Q.add(sum, value);
      }
      return sum;
    }
    case 'multiply': {
      let product: Rational = Q.ONE;
      for (const factor of expression.factors) {
        const value = evaluateExact(factor);
        if (!value) return null;
        product = Q.mul(product, value);
      }
      return product;
    }
    case 'divide': {
      const a = evaluateExact(expression.numerator);
      const b = evaluateExact(expression.denominator);
      return a && b ? Q.div(a, b) : null;
    }
    case 'power': {
      const base = evaluateExact(expression.base);
      const exponent = evaluateExact(expression.exponent);
      if (!base || !exponent) return null;
      if (exponent.d === 1n) return Q.powInteger(base, exponent.n, LIMITS.maxExactPowerBits);
      if (exponent.d === 2n && base.n >= 0n) {
        const root = exactSquareRoot(base);
        return root && Q.powInteger(root, exponent.n, LIMITS.maxExactPowerBits);
      }
      return null;
    }
    case 'function': {
      const args: Rational[] = [];
      for (const arg of expression.args) {
        const value = evaluateExact(arg);
        if (!value) return null;
        args.push(value);
      }
      const [a, b] = args;
      if (!a) return null;
      switch (expression.name) {
        case 'abs':
          return a.n < 0n ? Q.neg(a) : a;
        case 'sqrt':
          return a.n >= 0n ? exactSquareRoot(a) : null;
        case 'floor':
        case 'ceil': {
          const q = a.n / a.d;
          const floor = a.n < 0n && q * a.d !== a.n ? q - 1n : q;
          return { n: expression.name === 'floor' || floor * a.d === a.n ? floor : floor + 1n, d: 1n };
        }
        case 'factorial':
          return a.d === 1n && a.n >= 0n && a.n <= BigInt(LIMITS.maxFactorial) ? { n: factorial(a.n), d: 1n } : null;
        case 'binom':
          return b && a.d === 1n && b.d === 1n && a.n >= 0n && a.n <= 1000n && b.n >= 0n && b.n <= a.n
            ? { n: factorial(a.n) / (factorial(b.n) * factorial(a.n - b.n)), d: 1n }
            : null;
        default:
          return null;
      }
    }
  }
}

function factorial(n: bigint): bigint {
  let result = 1n;
  for (let k = 2n; k <= n; k++) result *= k;
  return result;
}

function integerSquareRoot(n: bigint): bigint | null {
  if (n < 0n) return null;
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  // Newton refinement for large values.
  for (let k = 0; k < 100; k++) {
    const y = (x + n / x) >> 1n;
    if (y >= x && x * x <= n) break;
    x = y;
  }
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x * x === n ? x : null;
}

function exactSquareRoot(a: Rational): Rational | null {
  if (Q.bitLength(a.n) > 2000 || Q.bitLength(a.d) > 2000) return null;
  const n = integerSquareRoot(a.n);
  const d = integerSquareRoot(a.d);
  return n !== null && d !== null ? { n, d } : null;
}

const isIntegerNode = (e: Expression): boolean => e.type === 'number' && e.value.d === 1n;

function rationalExponent(e: Expression): Rational | null {
  if (e.type === 'number') return e.value;
  if (e.type === 'negate' && e.argument.type === 'number') return Q.neg(e.argument.value);
  if (e.type === 'divide') return evaluateExact(e);
  return null;
}

function realFunction(name: string, x: Complex, f: (v: number) => number): Complex {
  if (x.im !== 0) {
    if (name === 'exp') return cExp(x);
    if (name === 'ln') return cLog(x);
    return NAN;
  }
  return complex(f(x.re));
}

const REAL_FUNCTIONS: Record<string, (v: number) => number> = {
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  cot: (v) => 1 / Math.tan(v),
  sec: (v) => 1 / Math.cos(v),
  csc: (v) => 1 / Math.sin(v),
  arcsin: Math.asin,
  arccos: Math.acos,
  arctan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  exp: Math.exp,
  ln: Math.log,
  floor: Math.floor,
  ceil: Math.ceil,
};

function gammaFactorial(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > LIMITS.maxFactorial) return Number.NaN;
  let result = 1;
  for (let k = 2; k <= n; k++) result *= k;
  return result;
}

/** Numeric value at the given variable assignment (complex, since answers may contain `i`). */
export function evaluateNumeric(expression: Expression, variables: ReadonlyMap<string, Complex>): Complex {
  switch (expression.type) {
    case 'number':
      return complex(Q.toNumber(expression.value));
    case 'variable':
      return variables.get(expression.name) ?? NAN;
    case 'constant':
      return expression.name === 'pi'
        ? complex(Math.PI)
        : expression.name === 'e'
          ? complex(Math.E)
          : expression.name === 'i'
            ? complex(0, 1)
            : complex(Number.POSITIVE_INFINITY);
    case 'negate': {
      const a = evaluateNumeric(expression.argument, variables);
      return complex(-a.re, a.im === 0 ? 0 : -a.im);
    }
    case 'add':
      return expression.terms.reduce<Complex>((sum, term) => cAdd(sum, evaluateNumeric(term, variables)), complex(0));
    case 'multiply':
      return expression.factors.reduce<Complex>((product, factor) => cMul(product, evaluateNumeric(factor, variables)), complex(1));
    case 'divide':
      return cDiv(evaluateNumeric(expression.numerator, variables), evaluateNumeric(expression.denominator, variables));
    case 'power': {
      const base = evaluateNumeric(expression.base, variables);
      const exponent = evaluateNumeric(expression.exponent, variables);
      const exact = rationalExponent(expression.exponent);
      const oddRoot = exact !== null && exact.d % 2n === 1n;
      return cPow(base, exponent, isIntegerNode(expression.exponent) || (exact !== null && exact.d === 1n), oddRoot, exact === null || exact.n % 2n !== 0n);
    }
    case 'function': {
      const args = expression.args.map((arg) => evaluateNumeric(arg, variables));
      const x = args[0] ?? NAN;
      switch (expression.name) {
        case 'sqrt':
          return cSqrt(x);
        case 'root': {
          const index = args[1] ?? NAN;
          const exactIndex = expression.args[1] ? evaluateExact(expression.args[1] as Expression) : null;
          const odd = exactIndex !== null && exactIndex.d === 1n && exactIndex.n % 2n !== 0n;
          return cPow(x, cDiv(complex(1), index), false, odd);
        }
        case 'abs':
          return complex(Math.hypot(x.re, x.im));
        case 'factorial':
          return x.im === 0 ? complex(gammaFactorial(x.re)) : NAN;
        case 'binom': {
          const k = args[1] ?? NAN;
          if (x.im !== 0 || k.im !== 0) return NAN;
          return complex(gammaFactorial(x.re) / (gammaFactorial(k.re) * gammaFactorial(x.re - k.re)));
        }
        case 'log': {
          const base = args[1];
          const numerator = cLog(x);
          return cDiv(numerator, base ? cLog(base) : complex(Math.LN10));
        }
        default: {
          const f = REAL_FUNCTIONS[expression.name];
          return f ? realFunction(expression.name, x, f) : NAN;
        }
      }
    }
  }
}

