import { LIMITS } from './limits';

/** The shape of an answer, found before any maths is parsed. Leaves are normalised scalar texts. */
export type AnswerNode =
  | { readonly kind: 'scalar'; readonly text: string }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'choice'; readonly letter: string }
  | { readonly kind: 'base'; readonly digits: string; readonly base: number }
  /** `(a, b)`, `[a, b)`, `(1, 2, 3)`: ordered items with their bracket characters (tuples and intervals). */
  | { readonly kind: 'tuple'; readonly open: string; readonly close: string; readonly items: readonly AnswerNode[] }
  | { readonly kind: 'union'; readonly parts: readonly AnswerNode[] }
  /** `\{a, b\}` — unordered. */
  | { readonly kind: 'set'; readonly items: readonly AnswerNode[] }
  /** `a, b` or `a \pm b` — a list of solutions, unordered. */
  | { readonly kind: 'list'; readonly items: readonly AnswerNode[] }
  | { readonly kind: 'matrix'; readonly rows: readonly (readonly AnswerNode[])[] }
  | { readonly kind: 'equation'; readonly sides: readonly string[] }
  /** `left op right` with op `<` or `\le` after orienting (`>` flipped). */
  | { readonly kind: 'inequality'; readonly left: string; readonly op: '<' | '\\le'; readonly right: string }
  | { readonly kind: 'unparseable'; readonly text: string; readonly why: string };

const OPENERS = '([{';
const CLOSERS = ')]}';

/** Split at top-level occurrences of any separator (outside brackets, braces and environments). */
export function splitTopLevel(text: string, separators: readonly string[], found: string[] = []): string[] | null {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\') {
      if (text.startsWith('\\begin', i)) depth++;
      else if (text.startsWith('\\end', i)) depth--;
      else if (text[i + 1] === '{' || text[i + 1] === '}') {
        depth += text[i + 1] === '{' ? 1 : -1;
        i++;
        continue;
      }
      if (depth === 0) {
        const separator = separators.find((s) => s.startsWith('\\') && text.startsWith(s, i) && !/[a-zA-Z]/.test(text[i + s.length] ?? ''));
        if (separator) {
          parts.push(text.slice(start, i));
          found.push(separator);
          start = i + separator.length;
          i = start - 1;
          continue;
        }
      }
      const command = /^\\[a-zA-Z]+/.exec(text.slice(i, i + 20));
      if (command) i += command[0].length - 1;
      else i++;
      continue;
    }
    if (OPENERS.includes(c)) depth++;
    else if (CLOSERS.includes(c)) depth--;
    else if (depth === 0) {
      const separator = separators.find((s) => !s.startsWith('\\') && text.startsWith(s, i));
      if (separator) {
        parts.push(text.slice(start, i));
        found.push(separator);
        start = i + separator.length;
        i = start - 1;
      }
    }
    if (depth < 0 || depth > LIMITS.maxNestingDepth) return null;
  }
  if (depth !== 0) return null;
  parts.push(text.slice(start));
  return parts.map((part) => part.trim());
}

/** Index of the bracket closing the one at `open`, by depth (any bracket kind closes any kind). */
function matchingClose(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\') {
      if (text[i + 1] === '{') depth++;
      else if (text[i + 1] === '}') {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
      continue;
    }
    if (OPENERS.includes(c)) depth++;
    else if (CLOSERS.includes(c)) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

const RELATIONS = ['\\le', '\\ge', '\\ne', '<', '>', '='];

function parseRelation(text: string): AnswerNode | null {
  // Collect top-level relation operators in order.
  const operators: string[] = [];
  const sides = splitTopLevel(text, RELATIONS, operators);
  if (!sides || sides.length < 2) return null;
  if (sides.some((s) => s === '')) return { kind: 'unparseable', text, why: 'empty side of a relation' };
  if (operators.every((op) => op === '=')) return { kind: 'equation', sides };
  if (operators.includes('=') || operators.includes('\\ne')) {
    return { kind: 'unparseable', text, why: 'mixed relation chain' };
  }
  const flip = (op: string): { op: '<' | '\\le'; flipped: boolean } =>
    op === '<' ? { op: '<', flipped: false } : op === '\\le' ? { op: '\\le', flipped: false } : op === '>' ? { op: '<', flipped: true } : { op: '\\le', flipped: true };
  if (operators.length === 1) {
    const { op, flipped } = flip(operators[0] as string);
    const [a, b] = sides as [string, string];
    return flipped ? { kind: 'inequality', left: b, op, right: a } : { kind: 'inequality', left: a, op, right: b };
  }
  if (operators.length === 2) {
    // a < x < b (or a > x > b): an interval in the middle variable.
    const first = flip(operators[0] as string);
    const second = flip(operators[1] as string);
    if (first.flipped !== second.flipped) return { kind: 'unparseable', text, why: 'inconsistent inequality chain' };
    const [a, x, b] = sides as [string, string, string];
    if (!/^[a-zA-Z]$|^[a-zA-Z](?:_\{?\w+\}?)?\([a-zA-Z]\)$/.test(x)) return { kind: 'unparseable', text, why: 'inequality chain around an expression' };
    const [lo, hi, loOp, hiOp] = first.flipped ? [b, a, second.op, first.op] : [a, b, first.op, second.op];
    return {
      kind: 'union',
      parts: [{ kind: 'tuple', open: loOp === '<' ? '(' : '[', close: hiOp === '<' ? ')' : ']', items: [{ kind: 'scalar', text: lo }, { kind: 'scalar', text: hi }] }],
    };
  }
  return { kind: 'unparseable', text, why: 'long inequality chain' };
}

/** Expand the first top-level `\pm` / `\mp` into the two signed alternatives. */
function expandPlusMinus(text: string): string[] | null {
  const parts = splitTopLevel(text, ['\\pm', '\\mp']);
  if (!parts || parts.length !== 2) return null;
  const [a, b] = parts as [string, string];
  const sign = text.includes('\\mp') ? ['-', '+'] : ['+', '-'];
  if (a === '') return [`${sign[0] === '+' ? '' : '-'}${b}`, `${sign[1] === '+' ? '' : '-'}(${b})`];
  return [`${a}${sign[0]}${b}`, `${a}${sign[1]}(${b})`];
}

function parseMatrix(text: string, depth: number): AnswerNode | null {
  const match = /^\\begin\{([pbvBV]?matrix|array)\}(?:\{[^{}]*\})?([\s\S]*)\\end\{\1\}$/.exec(text);
  if (!match) return null;
  const body = (match[2] ?? '').replace(/\\\\$/, '');
  const rowTexts = splitTopLevel(body, ['\\\\']);
  if (!rowTexts) return { kind: 'unparseable', text, why: 'unbalanced matrix' };
  const rows: AnswerNode[][] = [];
  for (const rowText of rowTexts) {
    const cells = splitTopLevel(rowText, ['&']);
    if (!cells) return { kind: 'unparseable', text, why: 'unbalanced matrix row' };
    rows.push(cells.map((cell) => parseAnswerStructure(cell, depth + 1)));
  }
  return { kind: 'matrix', rows };
}

/**
 * Find the structure of a normalised answer: unions (`\cup`), lists (top-level commas), tuples and
 * intervals, sets, matrices, equations and inequalities, base-subscripted numbers, `\pm` pairs;
 * anything else is a scalar left to the expression parser.
 */
export function parseAnswerStructure(text: string, depth = 0): AnswerNode {
  if (depth > 8) return { kind: 'unparseable', text, why: 'structure nested too deeply' };
  if (text.length > LIMITS.maxAnswerChars) return { kind: 'unparseable', text, why: `answer longer than ${LIMITS.maxAnswerChars} characters` };
  if (text === '\\emptyset' || text === '\\{\\}' || text === '{}') return { kind: 'set', items: [] };
  if (text === '\\mathbb{R}') return tupleOf('(', ')', ['-\\infty', '\\infty'], depth);
  const unionParts = splitTopLevel(text, ['\\cup']);
  if (unionParts === null) return { kind: 'unparseable', text, why: 'unbalanced brackets' };
  if (unionParts.length > 1) return { kind: 'union', parts: unionParts.map((p) => parseAnswerStructure(p, depth + 1)) };
  const items = splitTopLevel(text, [',', ';']);
  if (items && items.length > 1) {
    if (items.length > LIMITS.maxItems) return { kind: 'unparseable', text, why: 'too many items' };
    return { kind: 'list', items: items.filter((item) => item !== '').map((item) => parseAnswerStructure(item, depth + 1)) };
  }
  const matrix = parseMatrix(text, depth);
  if (matrix) return matrix;
  const relation = parseRelation(text);
  if (relation) return relation;
  const choice = /^\(([A-E])\)$|^([A-E])\)$/.exec(text);
  if (choice) return { kind: 'choice', letter: (choice[1] ?? choice[2]) as string };
  const first = text[0] ?? '';
  if (text.startsWith('\\{') && text.endsWith('\\}') && matchingClose(text, 0) === text.length - 1) {
    const inner = splitTopLevel(text.slice(2, -2), [',', ';']) ?? [];
    return { kind: 'set', items: inner.filter((x) => x !== '').flatMap((item) => expandItem(item, depth)) };
  }
  if ((first === '(' || first === '[') && matchingClose(text, 0) === text.length - 1) {
    const close = text[text.length - 1] as string;
    const inner = splitTopLevel(text.slice(1, -1), [',']);
    if (inner && inner.length >= 2) return tupleOf(first, close, inner, depth);
    if (first === '(' && close === ')' && inner?.length === 1) return parseAnswerStructure(text.slice(1, -1), depth + 1);
  }
  const base = /^([0-9A-Za-z]+)_\{?(\d{1,2})\}?$/.exec(text);
  if (base && /\d/.test(base[1] ?? '')) return { kind: 'base', digits: (base[1] ?? '').toLowerCase(), base: Number(base[2]) };
  const plusMinus = expandPlusMinus(text);
  if (plusMinus) return { kind: 'list', items: plusMinus.map((item) => parseAnswerStructure(item, depth + 1)) };
  return { kind: 'scalar', text };
}

function expandItem(item: string, depth: number): AnswerNode[] {
  const node = parseAnswerStructure(item, depth + 1);
  return node.kind === 'list' ? [...node.items] : [node];
}

function tupleOf(open: string, close: string, items: readonly string[], depth: number): AnswerNode {
  return { kind: 'tuple', open, close, items: items.map((item) => parseAnswerStructure(item, depth + 1)) };
}
