import type { Expression } from './expression/ast';
import { evaluateExact } from './expression/evaluate';
import { parseLeaf } from './compare-scalars';
import * as Q from './rational';

function substitute(expression: Expression, name: string, value: Q.Rational): Expression {
  switch (expression.type) {
    case 'variable':
      return expression.name === name ? { type: 'number', value } : expression;
    case 'number':
    case 'constant':
      return expression;
    case 'add':
      return { type: 'add', terms: expression.terms.map((t) => substitute(t, name, value)) };
    case 'multiply':
      return { type: 'multiply', factors: expression.factors.map((f) => substitute(f, name, value)) };
    case 'negate':
      return { type: 'negate', argument: substitute(expression.argument, name, value) };
    case 'divide':
      return { type: 'divide', numerator: substitute(expression.numerator, name, value), denominator: substitute(expression.denominator, name, value) };
    case 'power':
      return { type: 'power', base: substitute(expression.base, name, value), exponent: substitute(expression.exponent, name, value) };
    case 'function':
      return { type: 'function', name: expression.name, args: expression.args.map((a) => substitute(a, name, value)) };
  }
}

/**
 * `left − right` as `a·v + b` with exact rationals when it is linear in its one variable `v`
 * (checked exactly at v = 0, 1, 2, 7); `null` otherwise. Used to read `-x < -4` and `2x \le 1` as
 * `x > 4` and `x \le 1/2`.
 */
export function linearForm(left: string, right: string): { variable: string; slope: Q.Rational; intercept: Q.Rational } | null {
  const l = parseLeaf(left);
  const r = parseLeaf(right);
  if (typeof l === 'string' || typeof r === 'string') return null;
  const names = new Set([...l.facts.variables, ...r.facts.variables]);
  if (names.size !== 1 || l.facts.hasImaginary || r.facts.hasImaginary || l.facts.hasInfinity || r.facts.hasInfinity) return null;
  const variable = [...names][0] as string;
  const at = (x: bigint): Q.Rational | null => {
    const value: Q.Rational = { n: x, d: 1n };
    const a = evaluateExact(substitute(l.expression, variable, value));
    const b = evaluateExact(substitute(r.expression, variable, value));
    return a && b ? Q.sub(a, b) : null;
  };
  const f0 = at(0n);
  const f1 = at(1n);
  const f2 = at(2n);
  const f7 = at(7n);
  if (!f0 || !f1 || !f2 || !f7) return null;
  const slope = Q.sub(f1, f0);
  if (slope.n === 0n) return null;
  const linear = (x: bigint, fx: Q.Rational): boolean => Q.equals(Q.add(f0, Q.mul(slope, { n: x, d: 1n })), fx);
  if (!linear(2n, f2) || !linear(7n, f7)) return null;
  return { variable, slope, intercept: f0 };
}
