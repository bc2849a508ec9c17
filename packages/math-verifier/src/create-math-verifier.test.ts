import { describe, expect, it } from 'vitest';
import type { Problem } from '@oreal-ts/core';
import { createMathVerifier } from './create-math-verifier';

const problem = (answer: string): Problem => ({ id: 'p', question: 'q', answer });

describe('createMathVerifier', () => {
  const verifier = createMathVerifier();

  it('implements the Verifier contract', () => {
    expect(verifier.specificationVersion).toBe('v1');
    expect(verifier.id).toBe('oreal-ts/math-verifier');
  });

  it('grades a response by its last boxed answer and explains', async () => {
    const verdict = await verifier.verify(problem('\\frac{1}{2}'), 'We find $x = \\boxed{0.5}$.');
    expect(verdict).toMatchObject({ correct: true, reason: 'numeric-equal', gold: '\\frac{1}{2}', predicted: '0.5' });
    expect(verdict.detail).toContain('boxed');
  });

  it('says when several boxed answers disagree', async () => {
    const verdict = await verifier.verify(problem('4'), 'Maybe \\boxed{3}. No: \\boxed{4}.');
    expect(verdict.correct).toBe(true);
    expect(verdict.detail).toMatch(/2 boxed answers disagree/);
  });

  it('marks truncated responses incorrect even with a right answer', async () => {
    const verdict = await verifier.verify(problem('4'), { text: '\\boxed{4} and then', finishReason: 'length' });
    expect(verdict).toMatchObject({ correct: false, reason: 'truncated', predicted: '4' });
  });

  it('reports no-answer', async () => {
    const verdict = await verifier.verify(problem('4'), 'I think it is 4');
    expect(verdict).toMatchObject({ correct: false, reason: 'no-answer', predicted: null });
  });

  it('uses the last number only when configured', async () => {
    const lenient = createMathVerifier({ lastNumberFallback: true });
    expect((await lenient.verify(problem('4'), 'I think it is 4')).correct).toBe(true);
  });

  it('grades multiple-choice letters from plain text', async () => {
    const verdict = await verifier.verify(problem('\\text{(C)}'), 'Comparing the options, (C) is right.');
    expect(verdict).toMatchObject({ correct: true, predicted: 'C' });
  });

  it('explains with the extraction and normalised forms', async () => {
    const explanation = await verifier.explain(problem('\\dfrac{1}{2}'), '</think> \\boxed{\\frac12}');
    expect(explanation.extraction.marker).toBe('</think>');
    expect(explanation.normalizedGold).toBe('\\frac{1}{2}');
    expect(explanation.normalizedPrediction).toBe('\\frac{1}{2}');
    expect(explanation.comparison?.reason).toBe('string-equal');
  });

  it('falls back to compute-engine for LaTeX the built-in parser cannot read', async () => {
    const verdict = await verifier.verify(problem('\\frac{1}{2}'), '\\boxed{\\frac{\\Gamma(3)}{4}}');
    // Γ(3) = 2, so the prediction is 1/2; only the CAS knows \Gamma as a function.
    expect(verdict.correct).toBe(true);
    expect(verdict.reason).toBe('symbolic-equal');
  });

  it('never throws on malformed input', async () => {
    const verdict = await verifier.verify(problem(undefined as unknown as string), undefined as unknown as string);
    expect(verdict.correct).toBe(false);
  });
});
