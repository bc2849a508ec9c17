import { describe, expect, it } from 'vitest';
import { extractAnswer } from './extract-answer';

describe('extractAnswer', () => {
  it('takes the last \\boxed{} with nested braces', () => {
    const result = extractAnswer('First \\boxed{1}. Then $\\boxed{\\frac{\\sqrt{3}}{2}}$.');
    expect(result.answer).toBe('\\frac{\\sqrt{3}}{2}');
    expect(result.source).toBe('boxed');
    expect(result.boxedAnswers).toEqual(['1', '\\frac{\\sqrt{3}}{2}']);
    expect(result.conflictingBoxedAnswers).toBe(true);
  });

  it('reports agreeing boxed answers as not conflicting', () => {
    const result = extractAnswer('\\boxed{\\frac12} and again \\boxed{\\dfrac{1}{2}}');
    expect(result.conflictingBoxedAnswers).toBe(false);
  });

  it('reads \\fbox and \\boxed 5', () => {
    expect(extractAnswer('so \\fbox{42}').answer).toBe('42');
    expect(extractAnswer('so $\\boxed 5$.').answer).toBe('5');
  });

  it('ignores reasoning before the last </think> or **Final Answer**', () => {
    const think = extractAnswer('<think>maybe \\boxed{3}</think> The answer is \\boxed{4}');
    expect(think.answer).toBe('4');
    expect(think.marker).toBe('</think>');
    const final = extractAnswer('\\boxed{3} wait... **Final Answer** The answer is $7$.');
    expect(final.answer).toBe('7');
    expect(final.source).toBe('answer-is');
    expect(extractAnswer('<think>\\boxed{3}</think> I give up.').source).toBe('none');
  });

  it('falls back to "the final answer is"', () => {
    expect(extractAnswer('Thus the final answer is $\\frac{3}{4}$. Done').answer).toBe('\\frac{3}{4}');
    expect(extractAnswer('The answer is 12.').answer).toBe('12');
    expect(extractAnswer('Final Answer: 7\nmore').answer).toBe('7');
    expect(extractAnswer('So the answer is 12 because the sum is even.').answer).toBe('12');
  });

  it('uses the last number only when asked', () => {
    expect(extractAnswer('we get 3 then 17').source).toBe('none');
    const fallback = extractAnswer('we get 3 then 17', { lastNumberFallback: true });
    expect(fallback.answer).toBe('17');
    expect(fallback.source).toBe('last-number');
  });

  it('finds multiple-choice letters when asked', () => {
    expect(extractAnswer('so the correct option is (C) since', { choiceFallback: true })).toMatchObject({ answer: 'C', source: 'choice' });
    expect(extractAnswer('\\boxed{\\text{(C)}}').answer).toBe('\\text{(C)}');
  });

  it('survives an unclosed \\boxed{ and reports it', () => {
    const result = extractAnswer('\\boxed{12} and \\boxed{13');
    expect(result.answer).toBe('12');
    expect(result.note).toMatch(/never closed/);
    expect(extractAnswer('\\boxed{13').source).toBe('none');
  });

  it('returns none for empty text', () => {
    expect(extractAnswer('')).toMatchObject({ answer: null, source: 'none', boxedAnswers: [] });
  });
});

describe('extractAnswer with markdown', () => {
  it('takes the line after a **Final Answer** heading without a box', () => {
    expect(extractAnswer('work... \\boxed{3}\n\n**Final Answer**\n$\\frac{1}{2}$\n')).toMatchObject({ answer: '\\frac{1}{2}', source: 'answer-is' });
  });

  it('strips bold markers around an "Answer:" line', () => {
    expect(extractAnswer('Checking each option...\n**Answer: C**').answer).toBe('C');
  });
});
