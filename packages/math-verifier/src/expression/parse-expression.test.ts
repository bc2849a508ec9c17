import { describe, expect, it } from 'vitest';
import { formatRational } from '../rational';
import { ExpressionParseError, expressionFacts } from './ast';
import { evaluateExact, evaluateNumeric } from './evaluate';
import { parseExpression } from './parse-expression';

const exact = (text: string): string | null => {
  const value = evaluateExact(parseExpression(text));
  return value && formatRational(value);
};
const numeric = (text: string, x = 2): number => evaluateNumeric(parseExpression(text), new Map([['x', { re: x, im: 0 }]])).re;

describe('parseExpression + evaluate', () => {
  it.each([
    ['137\\frac{1}{2}', '275/2'],
    ['2\\frac{x}{3}', null],
    ['-\\frac{3}{8}', '-3/8'],
    ['2^{-3}', '1/8'],
    ['x^23', null],
    ['\\binom{5}{2}', '10'],
    ['5!', '120'],
    ['\\sqrt{\\frac{9}{4}}', '3/2'],
    ['|{-7}|', '7'],
    ['0.\\overline{3}', '1/3'],
    ['1.5e3', '1500'],
    ['\\lfloor 2.5 \\rfloor', '2'],
  ])('%s → %s', (text, expected) => {
    expect(exact(text)).toBe(expected);
  });

  it('reads implicit products, function arguments and LaTeX one-character scripts', () => {
    expect(numeric('x^23')).toBeCloseTo(12); // x^2 · 3
    expect(numeric('\\sin 2x')).toBeCloseTo(Math.sin(4));
    expect(numeric('\\sin^2 x')).toBeCloseTo(Math.sin(2) ** 2);
    expect(numeric('\\log_2 x')).toBeCloseTo(1);
    expect(numeric('\\sqrt[3]{-8}')).toBeCloseTo(-2);
    expect(numeric('(x+1)(x-1)')).toBeCloseTo(3);
  });

  it('knows i, e and π and reports its facts', () => {
    const value = evaluateNumeric(parseExpression('e^{i\\pi}'), new Map());
    expect(value.re).toBeCloseTo(-1);
    expect(value.im).toBeCloseTo(0);
    expect(expressionFacts(parseExpression('2x+\\pi y')).variables).toEqual(new Set(['x', 'y']));
    expect(expressionFacts(parseExpression('3+4i'))).toMatchObject({ symbolic: false, hasImaginary: true });
  });

  it('rejects what it does not understand, and deep nesting', () => {
    expect(() => parseExpression('\\foo{1}')).toThrow(ExpressionParseError);
    expect(() => parseExpression('(1')).toThrow(ExpressionParseError);
    expect(() => parseExpression(`${'('.repeat(200)}1${')'.repeat(200)}`)).toThrow(/nesting/);
    expect(() => parseExpression('')).toThrow(ExpressionParseError);
  });
});
