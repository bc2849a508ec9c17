import type { Rational } from '../rational';

/** Parsed scalar expression (the subset of LaTeX that MATH answers use). */
export type Expression =
  | { readonly type: 'number'; readonly value: Rational }
  | { readonly type: 'variable'; readonly name: string }
  | { readonly type: 'constant'; readonly name: 'pi' | 'i' | 'infinity' | 'e' }
  | { readonly type: 'add'; readonly terms: readonly Expression[] }
  | { readonly type: 'multiply'; readonly factors: readonly Expression[] }
  | { readonly type: 'negate'; readonly argument: Expression }
  | { readonly type: 'divide'; readonly numerator: Expression; readonly denominator: Expression }
  | { readonly type: 'power'; readonly base: Expression; readonly exponent: Expression }
  | { readonly type: 'function'; readonly name: string; readonly args: readonly Expression[] };

/** Thrown by the parser for input outside the supported grammar (caught inside the package). */
export class ExpressionParseError extends Error {}

/** Facts about an expression used to choose the verdict reason and the comparison mode. */
export interface ExpressionFacts {
  readonly variables: ReadonlySet<string>;
  /** Contains functions, radicals, π or non-integer powers (not plain rational arithmetic). */
  readonly symbolic: boolean;
  readonly hasInfinity: boolean;
  /** Contains the imaginary unit `i` (no exact evaluation then). */
  readonly hasImaginary: boolean;
}

/** Collect variables and flags of an expression. */
export function expressionFacts(expression: Expression): ExpressionFacts {
  const variables = new Set<string>();
  let symbolic = false;
  let hasInfinity = false;
  let hasImaginary = false;
  const visit = (node: Expression): void => {
    switch (node.type) {
      case 'number':
        return;
      case 'variable':
        variables.add(node.name);
        return;
      case 'constant':
        if (node.name === 'infinity') hasInfinity = true;
        else if (node.name === 'i') hasImaginary = true;
        else symbolic = true;
        return;
      case 'add':
        node.terms.forEach(visit);
        return;
      case 'multiply':
        node.factors.forEach(visit);
        return;
      case 'negate':
        visit(node.argument);
        return;
      case 'divide':
        visit(node.numerator);
        visit(node.denominator);
        return;
      case 'power':
        {
          const exponent = node.exponent.type === 'negate' ? node.exponent.argument : node.exponent;
          if (exponent.type !== 'number' || exponent.value.d !== 1n) symbolic = true;
        }
        visit(node.base);
        visit(node.exponent);
        return;
      case 'function':
        symbolic = true;
        node.args.forEach(visit);
        return;
    }
  };
  visit(expression);
  return { variables, symbolic, hasInfinity, hasImaginary };
}
