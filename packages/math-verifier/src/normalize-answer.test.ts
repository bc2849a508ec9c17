import { describe, expect, it } from 'vitest';
import { canonicalUnit, normalizeAnswer, normalizeAnswerDetailed } from './normalize-answer';

describe('normalizeAnswer', () => {
  it.each([
    ['\\left( 3, \\frac{\\pi}{2} \\right)', '(3,\\frac{\\pi}{2})'],
    ['\\dfrac{17}{50}', '\\frac{17}{50}'],
    ['\\frac12', '\\frac{1}{2}'],
    ['\\frac 34', '\\frac{3}{4}'],
    ['\\frac9{19}', '\\frac{9}{19}'],
    ['\\frac{270}7\\text{ degrees}', '\\frac{270}{7}'],
    ['\\sqrt3', '\\sqrt{3}'],
    ['$5$', '5'],
    ['\\$18.90', '18.90'],
    ['106^\\circ', '106'],
    ['120^{\\circ}', '120'],
    ['45°', '45'],
    ['10,\\!080', '10080'],
    ['11,\\! 111,\\! 111,\\! 100', '11111111100'],
    ['58,500', '58500'],
    ['1,-2', '1,-2'],
    ['3, 5, 7', '3,5,7'],
    ['15\\mbox{ cm}^2', '15'],
    ['5.4 \\text{ cents}', '5.4'],
    ['12.', '12'],
    ['\\cot x', '\\cot x'],
    ['x \\in [-2,7]', '[-2,7]'],
    ['19 \\text{ and }43', '19,43'],
    ['\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}', '\\begin{pmatrix}1\\\\2\\end{pmatrix}'],
    ['50\\%', '50%'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeAnswer(input)).toBe(expected);
  });

  it('marks whole-text answers and choice letters', () => {
    expect(normalizeAnswerDetailed('\\text{East}')).toEqual({ text: 'east', percent: false, isText: true, unit: null });
    expect(normalizeAnswerDetailed('\\text{(C)}')).toEqual({ text: 'C', percent: false, isText: true, unit: null });
    expect(normalizeAnswerDetailed('\\text{12}').isText).toBe(false);
  });

  it.each([
    ['square meters', '', 'm^2'],
    ['sq. ft', '', 'ft^2'],
    ['cm^2', '', 'cm^2'],
    ['cm', '^2', 'cm^2'],
    ['cubic inches', '', 'in^3'],
    ['hrs', '', 'h'],
    ['Kilometres', '', 'km'],
    ['apples', '', null],
  ] as const)('canonicalUnit(%s, %s) = %s', (phrase, power, expected) => {
    expect(canonicalUnit(phrase, power)).toBe(expected);
  });

  it('records the dropped unit of a value', () => {
    expect(normalizeAnswerDetailed('15\\mbox{ cm}^2')).toMatchObject({ text: '15', unit: 'cm^2' });
    expect(normalizeAnswerDetailed('12 square metres')).toMatchObject({ text: '12', unit: 'm^2' });
    expect(normalizeAnswerDetailed('\\text{4 kilograms}')).toMatchObject({ text: '4', unit: 'kg' });
    expect(normalizeAnswerDetailed('9\\text{ apples}')).toMatchObject({ text: '9', unit: null });
    expect(normalizeAnswerDetailed('9').unit).toBeNull();
  });
});
