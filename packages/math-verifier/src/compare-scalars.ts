import { expressionFacts, type Expression, type ExpressionFacts } from './expression/ast';
import { cAbs, cSub, isFiniteComplex, type Complex } from './expression/complex';
import { evaluateExact, evaluateNumeric } from './expression/evaluate';
import { parseExpression } from './expression/parse-expression';
import * as Q from './rational';

/** How strongly two leaves were shown equal: 0 string, 1 numeric, 2 symbolic. */
export type EqualityRank = 0 | 1 | 2;

/** Outcome of comparing two leaves or structures. `undecided` explains a comparison that could not run. */
export interface LeafComparison {
  readonly equal: boolean;
  readonly rank: EqualityRank;
  readonly undecided?: string;
  /** A leaf could not be parsed by the built-in parser (a CAS backend might still decide). */
  readonly unparsedLeaf?: boolean;
  /** The leaf rule that decided: `string`, `exact-rational`, `numeric-tolerance`, `random-points`, `printed-precision`, `cas`, `equation-proportional`. */
  readonly via?: string;
}

/** Optional second opinion for leaves the built-in parser cannot read (see `loadComputeEngine`). */
export interface SymbolicBackend {
  /** `null` when the backend cannot decide either. */
  compare(gold: string, predicted: string): { equal: boolean } | null;
}

/** Numeric settings of a comparison. */
export interface NumericOptions {
  /** Relative tolerance for non-rational values (default 1e-9). Exact rationals are compared exactly. */
  readonly relativeTolerance: number;
  /** Number of random points for expressions with variables (default 8, half of them negative). */
  readonly samplePoints: number;
  /**
   * A decimal with at least this many significant digits (default 10) equals an exact value that it
   * rounds or truncates to (`0.1428571428571428` ≡ `\frac17`); shorter decimals compare exactly
   * (`0.14` ≠ `\frac17`). `Infinity` turns the rule off.
   */
  readonly printedPrecisionDigits?: number;
}

/** `0.1428571428571428`: sign, digits, decimals; `null` for anything else. */
function longDecimal(text: string, minimumDigits: number): { value: Q.Rational; unit: Q.Rational } | null {
  const match = /^-?(\d*)\.(\d+)$/.exec(text);
  if (!match) return null;
  const significant = `${match[1] ?? ''}${match[2] ?? ''}`.replace(/^0+/, '').length;
  if (significant < minimumDigits) return null;
  const value = Q.parseDecimal(text);
  return value ? { value, unit: { n: 1n, d: 10n ** BigInt((match[2] as string).length) } } : null;
}

/** |exact − decimal| < one unit of the decimal's last printed place (rounded or truncated). */
function withinPrintedPrecision(exactText: string, decimalText: string, minimumDigits: number): boolean {
  const decimal = longDecimal(decimalText, minimumDigits);
  if (!decimal) return false;
  const other = parseLeaf(exactText);
  if (typeof other === 'string') return false;
  if (other.exact) {
    const difference = Q.sub(other.exact, decimal.value);
    const magnitude = difference.n < 0n ? Q.neg(difference) : difference;
    if (magnitude.n * decimal.unit.d < decimal.unit.n * magnitude.d) return true;
    // A double printed in full (17 digits) may be off in its last digit: allow 4 ulps.
    return Math.abs(Q.toNumber(difference)) <= 4 * Number.EPSILON * Math.abs(Q.toNumber(other.exact));
  }
  if (other.facts.variables.size > 0) return false;
  const value = evaluateNumeric(other.expression, new Map());
  return value.im === 0 && Number.isFinite(value.re) && Math.abs(value.re - Q.toNumber(decimal.value)) < Q.toNumber(decimal.unit);
}

interface Parsed {
  readonly expression: Expression;
  readonly facts: ExpressionFacts;
  readonly exact: Q.Rational | null;
}

const parseCache = new Map<string, Parsed | string>();
const PARSE_CACHE_LIMIT = 20_000;

/** Empty the parse cache (benchmarks use it to measure cold comparisons). */
export function clearParseCache(): void {
  parseCache.clear();
}

/** Parse with a bounded cache (gold answers repeat across the K samples of a prompt). */
export function parseLeaf(text: string): Parsed | string {
  const cached = parseCache.get(text);
  if (cached !== undefined) return cached;
  let result: Parsed | string;
  try {
    const expression = parseExpression(text);
    const facts = expressionFacts(expression);
    result = { expression, facts, exact: facts.variables.size === 0 && !facts.hasInfinity ? evaluateExact(expression) : null };
  } catch (error) {
    result = error instanceof Error ? error.message : String(error);
  }
  if (parseCache.size >= PARSE_CACHE_LIMIT) parseCache.clear();
  parseCache.set(text, result);
  return result;
}

/**
 * Deterministic sample value of variable `j` at point `p`: magnitude in [0.35, 2.55], positive at
 * odd points and negative at even ones (so `|x|` ≠ `x`); points where a side is undefined or
 * non-real (`\ln x` at x < 0) are skipped.
 */
function sampleValue(point: number, variable: number): number {
  const x = Math.sin(point * 12.9898 + variable * 78.233 + 0.5) * 43758.5453;
  const magnitude = 0.35 + (x - Math.floor(x)) * 2.2;
  return point % 2 === 1 ? magnitude : -magnitude;
}

const isRealValue = (value: Complex): boolean => Math.abs(value.im) <= 1e-12 * Math.max(1, Math.abs(value.re));

/** |a − b| ≤ tol · max(|a|, |b|), with an absolute floor of 1e-12 when `allowAbsolute`. */
export function close(a: Complex, b: Complex, relativeTolerance: number, allowAbsolute: boolean): boolean {
  const difference = cAbs(cSub(a, b));
  const scale = Math.max(cAbs(a), cAbs(b));
  return difference <= relativeTolerance * scale || (allowAbsolute && difference <= 1e-12);
}

const NOT_EQUAL: LeafComparison = { equal: false, rank: 0 };

function variableEnvironments(names: readonly string[], points: number): Map<string, Complex>[] {
  const environments: Map<string, Complex>[] = [];
  for (let p = 0; p < points; p++) {
    const environment = new Map<string, Complex>();
    names.forEach((name, j) => environment.set(name, { re: sampleValue(p + 1, j + 1), im: 0 }));
    environments.push(environment);
  }
  return environments;
}

/**
 * Compare two scalar leaves: string equality, then exact rational equality, then numeric closeness
 * (relative tolerance, only where a value is not an exact rational), then random-point sampling for
 * expressions with variables. Percent scaling is handled by the caller.
 */
export function compareScalars(gold: string, predicted: string, options: NumericOptions, backend?: SymbolicBackend): LeafComparison {
  if (gold === predicted) return { equal: true, rank: 0, via: 'string' };
  const a = parseLeaf(gold);
  const b = parseLeaf(predicted);
  if (typeof a === 'string' || typeof b === 'string') {
    if (backend) {
      const decided = backend.compare(gold, predicted);
      if (decided) return { equal: decided.equal, rank: 2, via: 'cas' };
    }
    return { equal: false, rank: 0, unparsedLeaf: !backend, undecided: `could not parse ${typeof a === 'string' ? `gold '${gold}' (${a})` : `prediction '${predicted}' (${b as string})`}` };
  }
  const result = compareParsed(a, b, options);
  if (result.equal || result.undecided) return result;
  const digits = options.printedPrecisionDigits ?? 10;
  if (Number.isFinite(digits) && (withinPrintedPrecision(gold, predicted, digits) || withinPrintedPrecision(predicted, gold, digits))) return { equal: true, rank: 1, via: 'printed-precision' };
  return result;
}

function compareParsed(a: Parsed, b: Parsed, options: NumericOptions): LeafComparison {
  const rank: EqualityRank = a.facts.symbolic || b.facts.symbolic ? 2 : 1;
  if (a.exact && b.exact) return Q.equals(a.exact, b.exact) ? { equal: true, rank: 1, via: 'exact-rational' } : NOT_EQUAL;
  const names = [...new Set([...a.facts.variables, ...b.facts.variables])].sort();
  if (names.length === 0) {
    const va = evaluateNumeric(a.expression, new Map());
    const vb = evaluateNumeric(b.expression, new Map());
    const finiteA = isFiniteComplex(va);
    const finiteB = isFiniteComplex(vb);
    if (!finiteA || !finiteB) {
      if (a.facts.hasInfinity && b.facts.hasInfinity && va.im === 0 && vb.im === 0 && va.re === vb.re) return { equal: true, rank: 1 };
      if (Number.isNaN(va.re) || Number.isNaN(vb.re)) return { equal: false, rank: 0, undecided: 'value undefined (NaN)' };
      if (finiteA !== finiteB) return NOT_EQUAL;
      return { equal: false, rank: 0, undecided: 'values too large to compare' };
    }
    // Plain rational arithmetic that exact evaluation refused (over the size caps): floats would
    // underflow or round (10^{-99999} would "equal" 0), so do not decide.
    const plain = (p: Parsed): boolean => !p.facts.symbolic && !p.facts.hasImaginary;
    if (plain(a) && plain(b) && (a.exact === null || b.exact === null)) return { equal: false, rank: 0, undecided: 'number too large for exact arithmetic' };
    return close(va, vb, options.relativeTolerance, !(a.exact && b.exact)) ? { equal: true, rank, via: 'numeric-tolerance' } : NOT_EQUAL;
  }
  let valid = 0;
  const realOnly = !a.facts.hasImaginary && !b.facts.hasImaginary;
  for (const environment of variableEnvironments(names, options.samplePoints)) {
    const va = evaluateNumeric(a.expression, environment);
    const vb = evaluateNumeric(b.expression, environment);
    if (!isFiniteComplex(va) || !isFiniteComplex(vb)) continue;
    if (realOnly && (!isRealValue(va) || !isRealValue(vb))) continue;
    if (!close(va, vb, Math.max(options.relativeTolerance, 1e-9), true)) return NOT_EQUAL;
    valid++;
  }
  if (valid < Math.min(3, options.samplePoints)) return { equal: false, rank: 0, undecided: 'too few points where both sides are defined' };
  return { equal: true, rank: 2, via: 'random-points' };
}

/**
 * Equations `l1 = r1` and `l2 = r2` are equal when `l1 − r1 = k (l2 − r2)` for one constant k ≠ 0
 * at every sampled point (so `y = 2x+1` equals `2x+1 = y` and `2y = 4x+2`).
 */
export function compareEquations(gold: readonly [string, string], predicted: readonly [string, string], options: NumericOptions): LeafComparison {
  const parts = [...gold, ...predicted].map(parseLeaf);
  if (parts.some((p) => typeof p === 'string')) return { equal: false, rank: 0, undecided: 'could not parse an equation side' };
  const [l1, r1, l2, r2] = parts as Parsed[] as [Parsed, Parsed, Parsed, Parsed];
  const names = [...new Set([l1, r1, l2, r2].flatMap((p) => [...p.facts.variables]))].sort();
  let ratio: Complex | null = null;
  let valid = 0;
  const realOnly = [l1, r1, l2, r2].every((p) => !p.facts.hasImaginary);
  for (const environment of variableEnvironments(names, options.samplePoints + 2)) {
    const f = cSub(evaluateNumeric(l1.expression, environment), evaluateNumeric(r1.expression, environment));
    const g = cSub(evaluateNumeric(l2.expression, environment), evaluateNumeric(r2.expression, environment));
    if (!isFiniteComplex(f) || !isFiniteComplex(g)) continue;
    if (realOnly && (!isRealValue(f) || !isRealValue(g))) continue;
    const fZero = cAbs(f) < 1e-12;
    const gZero = cAbs(g) < 1e-12;
    if (fZero !== gZero) return NOT_EQUAL;
    valid++;
    if (fZero) continue;
    const k: Complex = { re: 0, im: 0 };
    const d = g.re * g.re + g.im * g.im;
    const value = { re: (f.re * g.re + f.im * g.im) / d, im: (f.im * g.re - f.re * g.im) / d };
    Object.assign(k, value);
    if (ratio === null) ratio = k;
    else if (!close(ratio, k, 1e-8, false)) return NOT_EQUAL;
  }
  if (valid < 3) return { equal: false, rank: 0, undecided: 'too few points where both equations are defined' };
  return { equal: true, rank: 2, via: 'equation-proportional' };
}
