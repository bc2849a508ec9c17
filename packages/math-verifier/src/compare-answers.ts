import type { VerdictReason } from '@oreal-ts/core';
import { parseAnswerStructure, type AnswerNode } from './answer-structure';
import type { Expression } from './expression/ast';
import { compareEquations, compareScalars, parseLeaf, type EqualityRank, type LeafComparison, type NumericOptions, type SymbolicBackend } from './compare-scalars';
import { LIMITS } from './limits';
import * as Q from './rational';
import { linearForm } from './solve-linear';
import { normalizeAnswerDetailed, type NormalizedAnswer } from './normalize-answer';

/** Options of `compareAnswers`. */
export interface CompareOptions {
  /**
   * Relative tolerance for values that are not exact rationals (radicals, π, logs, decimals against
   * irrationals). Default `1e-9`: only full-precision decimals match an irrational, so `\frac13`
   * vs `0.3333` is NOT equal (both are exact rationals and compared exactly anyway).
   */
  readonly relativeTolerance?: number;
  /** Random points used for expressions with variables (half of them negative). Default 8. */
  readonly samplePoints?: number;
  /**
   * Percent policy. `'scale'` (default): a side written with `%` also matches the other side's value
   * times 100 (`50\%` ≡ `50` ≡ `0.5`), so the sign may be dropped or converted; without any `%`,
   * `50` vs `0.5` is a mismatch. `'strip'`: `%` is ignored (`50\%` ≡ `50` only).
   */
  readonly percent?: 'scale' | 'strip';
  /** A CAS for leaves the built-in parser cannot read (see `loadComputeEngine`). */
  readonly symbolicBackend?: SymbolicBackend;
  /** A decimal with at least this many significant digits matches within its printed precision (default 10; `Infinity` off). */
  readonly printedPrecisionDigits?: number;
  /**
   * Units after a value. `'compare'` (default): dropped when only one side has one (`5 cm^2` ≡ `5`),
   * compared when both sides carry a known unit (`5 cm` ≢ `5 cm^2`, `3 h` ≢ `3 min`; spellings such as
   * `square meters` / `m^2` are one unit; no conversion, so `100 cm` ≢ `1 m`). `'drop'`: always ignored.
   */
  readonly units?: 'compare' | 'drop';
}

/** Result of `compareAnswers`. */
export interface AnswerComparison {
  readonly equal: boolean;
  /** `string-equal` | `numeric-equal` | `symbolic-equal` when equal; `mismatch` or `parse-failed` otherwise. */
  readonly reason: VerdictReason;
  /** Normalised forms and, when undecided, why. */
  readonly detail?: string;
  /** `parse-failed` because the built-in parser could not read a leaf: a `symbolicBackend` may decide. */
  readonly symbolicBackendMayHelp?: boolean;
  /**
   * The comparison rule that decided, `structure/leaf` (e.g. `normalised-string`, `scalar/exact-rational`,
   * `equation-right-side/exact-rational`, `unordered-list`, `interval`, `text-words`, `scalar/printed-precision`).
   */
  readonly rule?: string;
}

interface Context {
  readonly numeric: NumericOptions;
  readonly backend: SymbolicBackend | undefined;
  readonly percentPolicy: 'scale' | 'strip';
  readonly goldPercent: boolean;
  readonly predictedPercent: boolean;
}

const REASONS: Record<EqualityRank, VerdictReason> = { 0: 'string-equal', 1: 'numeric-equal', 2: 'symbolic-equal' };
const MISMATCH: LeafComparison = { equal: false, rank: 0 };

function combine(results: readonly LeafComparison[]): LeafComparison {
  let rank: EqualityRank = 0;
  let via: string | undefined;
  for (const result of results) {
    if (!result.equal) return result;
    if (result.rank > rank) rank = result.rank;
    if (result.via && (via === undefined || result.rank >= rank)) via = result.via;
  }
  return via ? { equal: true, rank, via } : { equal: true, rank };
}

/** Name of the structural rule for two answer shapes (the first part of `AnswerComparison.rule`). */
function structureRule(gold: AnswerNode, predicted: AnswerNode): string {
  const kinds = new Set([gold.kind, predicted.kind]);
  if (kinds.has('choice')) return 'choice-letter';
  if (kinds.has('text')) return 'text-words';
  if (kinds.has('equation')) return gold.kind === predicted.kind ? 'equation-sides' : 'equation-right-side';
  if (kinds.has('inequality') || kinds.has('union')) return 'interval';
  if (kinds.has('base')) return 'base-subscript';
  if (kinds.has('matrix')) return 'matrix';
  if (kinds.has('tuple')) return gold.kind === 'tuple' && predicted.kind === 'tuple' && gold.open === '(' && gold.close === ')' ? 'ordered-tuple' : 'interval';
  if (kinds.has('list') || kinds.has('set')) return 'unordered-list';
  return 'scalar';
}

function words(text: string): string {
  return text.toLowerCase().replace(/\\text\{|\\mathrm\{|[{}\\]/g, '').replace(/[^a-z0-9]+/g, ' ').trim();
}

/** Whether a leaf text reads as words rather than maths (`east`, `Evelyn`). */
const isWordLike = (text: string): boolean => /^[a-zA-Z][a-zA-Z ]{2,}$/.test(text);

/** Interval form of a one-variable inequality (`x > 3` → `(3, \infty)`), or null. */
function inequalityAsInterval(node: AnswerNode): AnswerNode | null {
  if (node.kind !== 'inequality') return node.kind === 'union' ? node : null;
  const variable = /^[a-zA-Z]$/;
  const strict = node.op === '<';
  if (variable.test(node.left) && !variable.test(node.right)) {
    return { kind: 'union', parts: [{ kind: 'tuple', open: '(', close: strict ? ')' : ']', items: [{ kind: 'scalar', text: '-\\infty' }, { kind: 'scalar', text: node.right }] }] };
  }
  if (variable.test(node.right) && !variable.test(node.left)) {
    return { kind: 'union', parts: [{ kind: 'tuple', open: strict ? '(' : '[', close: ')', items: [{ kind: 'scalar', text: node.left }, { kind: 'scalar', text: '\\infty' }] }] };
  }
  // Linear in one variable (`-x < -4`, `2x \le 1`): a·v + b op 0 → v op' −b/a (flipped when a < 0).
  const linear = linearForm(node.left, node.right);
  if (linear) {
    const bound = Q.div(Q.neg(linear.intercept), linear.slope) as Q.Rational;
    const text = bound.d === 1n ? bound.n.toString() : `\\frac{${bound.n}}{${bound.d}}`;
    const below = linear.slope.n > 0n; // a > 0: v < bound
    const item = (t: string): AnswerNode => ({ kind: 'scalar', text: t });
    return below
      ? { kind: 'union', parts: [{ kind: 'tuple', open: '(', close: strict ? ')' : ']', items: [item('-\\infty'), item(text)] }] }
      : { kind: 'union', parts: [{ kind: 'tuple', open: strict ? '(' : '[', close: ')', items: [item(text), item('\\infty')] }] };
  }
  return null;
}

function asUnion(node: AnswerNode): readonly AnswerNode[] | null {
  if (node.kind === 'union') return node.parts;
  if (node.kind === 'tuple' && node.items.length === 2) return [node];
  const interval = inequalityAsInterval(node);
  return interval && interval.kind === 'union' ? interval.parts : null;
}

/** Unordered matching: every gold item pairs with a distinct equal predicted item. */
function matchUnordered(gold: readonly AnswerNode[], predicted: readonly AnswerNode[], context: Context): LeafComparison {
  if (gold.length !== predicted.length) return MISMATCH;
  const used = new Array<boolean>(predicted.length).fill(false);
  const results: LeafComparison[] = [];
  let undecided: LeafComparison | undefined;
  for (const g of gold) {
    let found: LeafComparison | null = null;
    for (let j = 0; j < predicted.length; j++) {
      if (used[j]) continue;
      const result = compareNodes(g, predicted[j] as AnswerNode, context);
      if (result.equal) {
        used[j] = true;
        found = result;
        break;
      }
      if (result.undecided) undecided ??= result;
    }
    if (!found) return undecided ?? MISMATCH;
    results.push(found);
  }
  return combine(results);
}

function matchOrdered(gold: readonly AnswerNode[], predicted: readonly AnswerNode[], context: Context): LeafComparison {
  if (gold.length !== predicted.length) return MISMATCH;
  const results: LeafComparison[] = [];
  for (let k = 0; k < gold.length; k++) {
    const result = compareNodes(gold[k] as AnswerNode, predicted[k] as AnswerNode, context);
    if (!result.equal) return result;
    results.push(result);
  }
  return combine(results);
}

function vectorItems(node: AnswerNode): readonly AnswerNode[] | null {
  if (node.kind === 'tuple') return node.items;
  if (node.kind === 'matrix') {
    if (node.rows.every((row) => row.length === 1)) return node.rows.map((row) => row[0] as AnswerNode);
    if (node.rows.length === 1) return node.rows[0] as AnswerNode[];
  }
  return null;
}

function compareLeaves(gold: string, predicted: string, context: Context, topLevel: boolean): LeafComparison {
  const direct = compareScalars(gold, predicted, context.numeric, context.backend);
  if (direct.equal || !topLevel || context.percentPolicy !== 'scale' || context.goldPercent === context.predictedPercent) return direct;
  // Percent scaling: the side with `%` is divided by 100.
  const scaled = context.predictedPercent ? compareScalars(gold, `(${predicted})/100`, context.numeric) : compareScalars(`(${gold})/100`, predicted, context.numeric);
  return scaled.equal ? { equal: true, rank: 1 } : direct;
}

function baseValue(digits: string, base: number): bigint | null {
  if (base < 2 || base > 36) return null;
  let value = 0n;
  for (const c of digits) {
    const d = Number.parseInt(c, 36);
    if (Number.isNaN(d) || d >= base) return null;
    value = value * BigInt(base) + BigInt(d);
  }
  return value;
}

const NAME = String.raw`(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?\w+\}?)?'*`;
/** `x`, `a_1`, `AB`, `f(x)`, `g(3)`, `f^{-1}(2)`, `(m,n)`. */
const NAMED = new RegExp(String.raw`^(?:${NAME}(?:\^\{?-1\}?)?(?:\([^()=]*\))?|[A-Z]{2,3}|\(${NAME}(?:,${NAME})+\))$`);

/**
 * Whether the left side of `lhs = rhs` names the asked quantity, so the equation answers with its
 * right side: a name (`x`, `AB`, `f(x)`, `g(3)`, `(m,n)`), an expression of names without numeric
 * terms or powers (`a+b`, `mn`), or a number-only expression whose value is the right side
 * (`\binom{7}{2} = 21`). `x + 1 = 12` or `2x = 10` are equations to solve, never reduced.
 */
function namesQuantity(lhs: string, rhs: string): boolean {
  if (NAMED.test(lhs)) return true;
  const parsed = parseLeaf(lhs);
  if (typeof parsed === 'string') return false;
  if (parsed.facts.variables.size === 0) {
    const value = parseLeaf(rhs);
    return parsed.exact !== null && typeof value !== 'string' && value.exact !== null && parsed.exact.n === value.exact.n && parsed.exact.d === value.exact.d;
  }
  return !parsed.facts.hasImaginary && !hasNumericTerm(parsed.expression);
}

/** A number literal as a term or factor, or a power (function arguments do not count). */
function hasNumericTerm(expression: Expression): boolean {
  switch (expression.type) {
    case 'number':
    case 'constant':
      return true;
    case 'variable':
      return false;
    case 'add':
      return expression.terms.some(hasNumericTerm);
    case 'multiply':
      return expression.factors.some(hasNumericTerm);
    case 'negate':
      return hasNumericTerm(expression.argument);
    case 'divide':
      return hasNumericTerm(expression.numerator) || hasNumericTerm(expression.denominator);
    case 'power':
      // `r^2 = 4` may answer "find r^2" or wrongly "find r": never reduced.
      return true;
    case 'function':
      return false;
  }
}

function compareNodes(gold: AnswerNode, predicted: AnswerNode, context: Context, topLevel = false): LeafComparison {
  if (gold.kind === 'unparseable' || predicted.kind === 'unparseable') {
    const bad = gold.kind === 'unparseable' ? gold : (predicted as Extract<AnswerNode, { kind: 'unparseable' }>);
    return { equal: false, rank: 0, undecided: bad.why };
  }
  // Text and multiple-choice answers compare as words.
  if (gold.kind === 'choice' || predicted.kind === 'choice') {
    // `C`, `(C)`, `\text{(C)}`, and `(C) 12` (a letter followed by the option's content).
    const letter = (node: AnswerNode): string | null =>
      node.kind === 'choice'
        ? node.letter
        : node.kind === 'scalar' || node.kind === 'text'
          ? (/^\(?([A-E])\)?$/.exec(node.text)?.[1] ?? /^\(([A-E])\)/.exec(node.text)?.[1] ?? null)
          : null;
    const a = letter(gold);
    const b = letter(predicted);
    return a !== null && a === b ? { equal: true, rank: 0 } : MISMATCH;
  }
  if (gold.kind === 'text' || predicted.kind === 'text') {
    const text = (node: AnswerNode): string | null => (node.kind === 'text' || node.kind === 'scalar' ? words(node.text) : null);
    const a = text(gold);
    const b = text(predicted);
    if (a !== null && a === b) return { equal: true, rank: 0 };
    if (gold.kind === 'text' && predicted.kind === 'text') return MISMATCH;
    const other = gold.kind === 'text' ? predicted : gold;
    if (other.kind === 'scalar' && !isWordLike(other.text)) {
      // `\text{5}` style answers: compare the content as maths.
      const textNode = (gold.kind === 'text' ? gold : predicted) as { text: string };
      if (!/[a-z]{2,}/.test(textNode.text)) return compareNodes(gold.kind === 'text' ? { kind: 'scalar', text: gold.text } : gold, predicted.kind === 'text' ? { kind: 'scalar', text: predicted.text } : predicted, context, topLevel);
    }
    return MISMATCH;
  }
  // Equations against bare values: `x = 3` vs `3` (either side), using the last side of a chain.
  if (gold.kind === 'equation' && predicted.kind === 'equation') {
    const g = gold.sides;
    const p = predicted.sides;
    if (g.length === 2 && p.length === 2) {
      const [gl, gr] = g as [string, string];
      const [pl, pr] = p as [string, string];
      if (gl === pl && /^[a-zA-Z]$/.test(gl)) {
        const sameSide = compareLeaves(gr, pr, context, false);
        if (sameSide.equal) return sameSide;
      }
      if ((gl === pl && gr === pr) || (gl === pr && gr === pl)) return { equal: true, rank: 0 };
      return compareEquations([gl, gr], [pl, pr], context.numeric);
    }
    return compareLeaves(g[g.length - 1] as string, p[p.length - 1] as string, context, false);
  }
  if (gold.kind === 'equation' || predicted.kind === 'equation') {
    const equation = (gold.kind === 'equation' ? gold : predicted) as { sides: readonly string[] };
    const other = gold.kind === 'equation' ? predicted : gold;
    const last = parseAnswerStructure(equation.sides[equation.sides.length - 1] as string, 1);
    const lhs = equation.sides[0] as string;
    // Only a left side that names the asked quantity is dropped (see `namesQuantity`).
    if (equation.sides.length === 2 && !namesQuantity(lhs, equation.sides[1] as string)) return MISMATCH;
    return gold.kind === 'equation' ? compareNodes(last, other, context, topLevel) : compareNodes(other, last, context, topLevel);
  }
  // Intervals, unions and inequalities.
  if (gold.kind === 'inequality' && predicted.kind === 'inequality') {
    const a = inequalityAsInterval(gold);
    const b = inequalityAsInterval(predicted);
    if (!a || !b) {
      return gold.op === predicted.op
        ? combine([compareLeaves(gold.left, predicted.left, context, false), compareLeaves(gold.right, predicted.right, context, false)])
        : MISMATCH;
    }
  }
  const goldUnion = gold.kind === 'union' || gold.kind === 'inequality' ? asUnion(gold) : null;
  const predictedUnion = predicted.kind === 'union' || predicted.kind === 'inequality' ? asUnion(predicted) : null;
  if (goldUnion || predictedUnion) {
    const a = goldUnion ?? asUnion(gold);
    const b = predictedUnion ?? asUnion(predicted);
    if (!a || !b) {
      if (gold.kind === 'inequality' && predicted.kind === 'inequality') {
        return gold.op === predicted.op
          ? combine([compareLeaves(gold.left, predicted.left, context, false), compareLeaves(gold.right, predicted.right, context, false)])
          : MISMATCH;
      }
      return MISMATCH;
    }
    return matchUnordered(a, b, context);
  }
  if (gold.kind === 'tuple' && predicted.kind === 'tuple') {
    if (gold.open !== predicted.open || gold.close !== predicted.close) return MISMATCH;
    return matchOrdered(gold.items, predicted.items, context);
  }
  if (gold.kind === 'matrix' && predicted.kind === 'matrix') {
    if (gold.rows.length !== predicted.rows.length) return MISMATCH;
    return combine(gold.rows.map((row, k) => matchOrdered(row, predicted.rows[k] as AnswerNode[], context)));
  }
  if ((gold.kind === 'matrix' || gold.kind === 'tuple') && (predicted.kind === 'matrix' || predicted.kind === 'tuple')) {
    const a = vectorItems(gold);
    const b = vectorItems(predicted);
    return a && b && (gold.kind !== 'tuple' || gold.open === '(') && (predicted.kind !== 'tuple' || predicted.open === '(') ? matchOrdered(a, b, context) : MISMATCH;
  }
  // Lists of solutions and sets: unordered.
  if ((gold.kind === 'list' || gold.kind === 'set') && (predicted.kind === 'list' || predicted.kind === 'set')) {
    return matchUnordered(gold.items, predicted.items, context);
  }
  if (gold.kind === 'base' || predicted.kind === 'base') {
    if (gold.kind === 'base' && predicted.kind === 'base') {
      if (gold.base === predicted.base && gold.digits.replace(/^0+(?=.)/, '') === predicted.digits.replace(/^0+(?=.)/, '')) return { equal: true, rank: 0 };
      const a = baseValue(gold.digits, gold.base);
      return a !== null && a === baseValue(predicted.digits, predicted.base) ? { equal: true, rank: 1 } : MISMATCH;
    }
    // Gold in base b, prediction bare digits: accepted when the digits match (the subscript was
    // omitted). Gold bare, prediction based: the prediction's value must equal the gold (decimal).
    if (gold.kind === 'base') {
      return predicted.kind === 'scalar' && predicted.text.toLowerCase().replace(/^0+(?=.)/, '') === gold.digits.replace(/^0+(?=.)/, '') ? { equal: true, rank: 0 } : MISMATCH;
    }
    const value = baseValue((predicted as { digits: string }).digits, (predicted as { base: number }).base);
    return gold.kind === 'scalar' && value !== null && /^\d+$/.test(gold.text) && BigInt(gold.text) === value ? { equal: true, rank: 1 } : MISMATCH;
  }
  if (gold.kind === 'scalar' && predicted.kind === 'scalar') {
    if (isWordLike(gold.text) && isWordLike(predicted.text)) return words(gold.text) === words(predicted.text) ? { equal: true, rank: 0 } : MISMATCH;
    return compareLeaves(gold.text, predicted.text, context, topLevel);
  }
  // A one-item list or set against a scalar.
  if ((gold.kind === 'set' || gold.kind === 'list') && gold.items.length === 1 && predicted.kind === 'scalar') return compareNodes(gold.items[0] as AnswerNode, predicted, context, topLevel);
  if ((predicted.kind === 'set' || predicted.kind === 'list') && predicted.items.length === 1 && gold.kind === 'scalar') return compareNodes(gold, predicted.items[0] as AnswerNode, context, topLevel);
  return MISMATCH;
}

function describe(gold: NormalizedAnswer, predicted: NormalizedAnswer): string {
  const show = (n: NormalizedAnswer): string => `${n.text}${n.percent ? '%' : ''}${n.unit !== null ? ` [${n.unit}]` : ''}`;
  return `normalised gold '${show(gold)}', prediction '${show(predicted)}'`;
}

/**
 * Decide whether two final answers are the same, and why. Order: string equality after
 * normalisation → structure (lists, tuples, intervals, sets, matrices, equations, inequalities) →
 * numbers (exact rationals, else relative tolerance) → expressions (random-point sampling) → the
 * optional CAS backend. Treats `gold` and `predicted` alike except where documented (percent
 * scaling follows whichever side has `%`), so it also serves to cluster answers for maj@k.
 * Never throws.
 */
export function compareAnswers(gold: string, predicted: string, options: CompareOptions = {}): AnswerComparison {
  try {
    const g = normalizeAnswerDetailed(gold);
    const p = normalizeAnswerDetailed(predicted);
    if (p.text === '') return { equal: false, reason: 'mismatch', detail: 'empty prediction' };
    if ((options.units ?? 'compare') === 'compare' && g.unit !== null && p.unit !== null && g.unit !== p.unit) {
      return { equal: false, reason: 'mismatch', detail: `${describe(g, p)}; units differ`, rule: 'unit-mismatch' };
    }
    if (g.text === p.text && g.percent === p.percent && g.isText === p.isText) return { equal: true, reason: 'string-equal', detail: describe(g, p), rule: 'normalised-string' };
    if ((g.isText || p.isText) && words(g.text).length > 1 && words(g.text) === words(p.text)) return { equal: true, reason: 'string-equal', detail: describe(g, p), rule: 'text-words' };
    if (g.text.length > LIMITS.maxAnswerChars || p.text.length > LIMITS.maxAnswerChars) {
      return { equal: false, reason: 'parse-failed', detail: `answer longer than ${LIMITS.maxAnswerChars} characters after normalisation` };
    }
    const context: Context = {
      numeric: { relativeTolerance: options.relativeTolerance ?? 1e-9, samplePoints: options.samplePoints ?? 8, printedPrecisionDigits: options.printedPrecisionDigits ?? 10 },
      backend: options.symbolicBackend,
      percentPolicy: options.percent ?? 'scale',
      goldPercent: g.percent,
      predictedPercent: p.percent,
    };
    const goldNode: AnswerNode = g.isText ? textNode(g.text) : parseAnswerStructure(g.text);
    const predictedNode: AnswerNode = p.isText ? textNode(p.text) : parseAnswerStructure(p.text);
    const result = compareNodes(goldNode, predictedNode, context, true);
    const rule = `${structureRule(goldNode, predictedNode)}${result.via ? `/${result.via}` : ''}${g.percent !== p.percent ? '/percent' : ''}`;
    if (result.equal) return { equal: true, reason: REASONS[result.rank], detail: describe(g, p), rule };
    if (result.undecided) {
      return {
        equal: false,
        reason: 'parse-failed',
        detail: `${describe(g, p)}; ${result.undecided}`,
        ...(result.unparsedLeaf ? { symbolicBackendMayHelp: true } : {}),
        rule,
      };
    }
    return { equal: false, reason: 'mismatch', detail: describe(g, p), rule };
  } catch (error) {
    return { equal: false, reason: 'error', detail: `comparison failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function textNode(text: string): AnswerNode {
  return /^[A-E]$/.test(text) ? { kind: 'choice', letter: text } : { kind: 'text', text };
}
