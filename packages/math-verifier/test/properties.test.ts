import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Problem } from '@oreal-ts/core';
import { compareAnswers, createMathVerifier, extractAnswer, normalizeAnswer } from '../src/index';

/** Small random maths values written in MATH answer styles. */
const integer = fc.integer({ min: -5000, max: 5000 }).map(String);
const fraction = fc
  .tuple(fc.integer({ min: -99, max: 99 }), fc.integer({ min: 1, max: 99 }))
  .map(([n, d]) => (n < 0 ? `-\\frac{${-n}}{${d}}` : `\\frac{${n}}{${d}}`));
const radical = fc.tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 2, max: 30 })).map(([a, b]) => `${a}\\sqrt{${b}}`);
const polynomial = fc
  .tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: -9, max: 9 }), fc.integer({ min: -9, max: 9 }))
  .map(([a, b, c]) => `${a}x^2${b < 0 ? '-' : '+'}${Math.abs(b)}x${c < 0 ? '-' : '+'}${Math.abs(c)}`);
const tuple = fc.array(integer, { minLength: 2, maxLength: 4 }).map((items) => `(${items.join(', ')})`);
const interval = fc
  .tuple(fc.integer({ min: -50, max: 0 }), fc.integer({ min: 1, max: 50 }), fc.constantFrom('(', '['), fc.constantFrom(')', ']'))
  .map(([a, b, open, close]) => `${open}${a}, ${b}${close}`);
const value = fc.oneof(integer, fraction, radical, polynomial, tuple, interval);

/** Rewrites that must not change an answer's meaning. */
const rewrites: readonly ((text: string) => string)[] = [
  (t) => `$${t}$`,
  (t) => ` ${t} `,
  (t) => `${t}.`,
  (t) => t.replace(/\\frac/g, '\\dfrac'),
  (t) => t.replace(/\\frac/g, '\\tfrac'),
  (t) => t.replace(/\(/g, '\\left(').replace(/\)/g, '\\right)'),
  (t) => t.replace(/,/g, ',\\ '),
  (t) => t.replace(/\+/g, ' + '),
  (t) => `\\displaystyle ${t}`,
  (t) => t.replace(/\\sqrt\{(\d)\}/g, '\\sqrt$1'),
];

describe('properties', () => {
  it('a value equals itself after any normalisation-preserving rewrite', () => {
    fc.assert(
      fc.property(value, fc.array(fc.integer({ min: 0, max: rewrites.length - 1 }), { maxLength: 4 }), (text, chosen) => {
        const rewritten = chosen.reduce((t, k) => (rewrites[k] as (s: string) => string)(t), text);
        const result = compareAnswers(text, rewritten);
        expect(result.equal, `${text} vs ${rewritten}: ${result.detail}`).toBe(true);
        expect(compareAnswers(rewritten, text).equal).toBe(true);
      }),
      { numRuns: 400, seed: 7 },
    );
  });

  it('different integers and fractions are never equal', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10_000, max: 10_000 }), fc.integer({ min: -10_000, max: 10_000 }), fc.integer({ min: 1, max: 500 }), (a, b, d) => {
        fc.pre(a !== b);
        expect(compareAnswers(String(a), String(b)).equal).toBe(false);
        expect(compareAnswers(`\\frac{${a}}{${d}}`, `\\frac{${b}}{${d}}`).equal).toBe(false);
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('comparison is symmetric on random pairs (no base subscripts involved)', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(compareAnswers(a, b).equal, `${a} vs ${b}`).toBe(compareAnswers(b, a).equal);
      }),
      { numRuns: 400, seed: 13 },
    );
  });

  it('normalisation is idempotent', () => {
    fc.assert(
      fc.property(value, (text) => {
        const once = normalizeAnswer(text);
        expect(normalizeAnswer(once)).toBe(once);
      }),
      { numRuns: 300, seed: 3 },
    );
  });

  it('the verifier and its helpers never throw, whatever the text', async () => {
    const verifier = createMathVerifier({ useComputeEngine: false });
    const latexish = fc.stringMatching(/^[\\{}()[\]^_$0-9a-z+\-*/=<>,.!| ]{0,60}$/);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 80 }), latexish), fc.oneof(fc.string({ maxLength: 80 }), latexish), async (gold, response) => {
        const problem: Problem = { id: 'p', question: 'q', answer: gold };
        const verdict = await verifier.verify(problem, `\\boxed{${response}}`);
        expect(typeof verdict.correct).toBe('boolean');
        expect(verdict.reason).not.toBe('error');
        expect(() => extractAnswer(response)).not.toThrow();
        expect(() => compareAnswers(gold, response)).not.toThrow();
      }),
      { numRuns: 500, seed: 5 },
    );
  });
});
