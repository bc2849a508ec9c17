import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareAnswers, createMathVerifier, extractAnswer } from '../src/index';

const verifier = createMathVerifier({ useComputeEngine: false });
const integer = fc.integer({ min: -5000, max: 5000 }).map(String);
const fraction = fc.tuple(fc.integer({ min: -99, max: 99 }), fc.integer({ min: 2, max: 99 })).map(([n, d]) => (n < 0 ? `-\\frac{${-n}}{${d}}` : `\\frac{${n}}{${d}}`));
const radical = fc.tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 2, max: 30 })).map(([a, b]) => `${a}\\sqrt{${b}}`);
const value = fc.oneof(integer, fraction, radical);
/** Prose without maths, cues, boxes or sentence ends that could carry an answer. */
const prose = fc.array(fc.constantFrom('we', 'check', 'the', 'first', 'case', 'carefully', 'then', 'multiply', 'both', 'sides', 'again'), { minLength: 1, maxLength: 12 }).map((w) => `${w.join(' ')}.`);
const cue = fc.constantFrom('Answer: ', 'The answer is ', 'Final Answer: ', '答案：', 'Réponse : ', 'La réponse est ', 'Ответ: ', 'Respuesta: ', 'Antwort: ', 'الإجابة: ', 'उत्तर: ', '答え：');

describe('properties of extraction and comparison (issue 13)', () => {
  it('extraction after a cue is invariant to prose added before it', () => {
    fc.assert(
      fc.property(value, cue, prose, prose, (v, c, before, more) => {
        const plain = extractAnswer(`${c}$${v}$`);
        const withProse = extractAnswer(`${before} ${more}\n${c}$${v}$`);
        expect(withProse.answer).toBe(plain.answer);
        expect(withProse.source).toBe('answer-is');
        expect(plain.answer).toBe(v);
      }),
      { numRuns: 300, seed: 21 },
    );
  });

  it('wrapping a correct value in \\boxed{} on both sides keeps equality, through the verifier', async () => {
    await fc.assert(
      fc.asyncProperty(value, fc.constantFrom('', '$', '\\[ '), async (v, wrap) => {
        const close = wrap === '\\[ ' ? ' \\]' : wrap;
        const verdict = await verifier.verify({ id: 'p', question: '', answer: `${wrap}\\boxed{${v}}${close}` }, `so ${wrap}\\boxed{${v}}${close}`);
        expect(verdict.correct, verdict.detail).toBe(true);
      }),
      { numRuns: 200, seed: 22 },
    );
  });

  it('a value never equals itself perturbed by a non-trivial amount (also as a long decimal)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -999, max: 999 }), fc.integer({ min: 2, max: 97 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 3, max: 9 }), (n, d, k, place) => {
        const exact = n / d;
        const perturbed = exact + k * 10 ** -place;
        expect(compareAnswers(`\\frac{${n}}{${d}}`, perturbed.toFixed(16)).equal).toBe(false);
        expect(compareAnswers(`\\frac{${n}}{${d}}`, `\\frac{${n * 1000 + k}}{${d * 1000}}`).equal).toBe(false);
      }),
      { numRuns: 300, seed: 23 },
    );
  });

  it('a fraction equals its 16-digit decimal, never a rounding to fewer than 10 significant digits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999 }), fc.integer({ min: 3, max: 97 }), fc.integer({ min: 2, max: 6 }), (n, d, digits) => {
        fc.pre(((n * 10 ** 8) % d) !== 0 && (n * 1024) % d !== 0);
        const full = (n / d).toPrecision(16);
        expect(compareAnswers(`\\frac{${n}}{${d}}`, full).equal, full).toBe(true);
        const short = (n / d).toPrecision(digits);
        expect(compareAnswers(`\\frac{${n}}{${d}}`, short).equal, short).toBe(false);
      }),
      { numRuns: 300, seed: 24 },
    );
  });

  it('equations naming the value, unit words and \\approx tails are symmetric in gold and prediction', () => {
    const decorate = fc.constantFrom((v: string) => `k = ${v}`, (v: string) => `${v} \\text{ cm}`, (v: string) => `${v} \\approx 1.5`, (v: string) => `\\\\boxed{${v.replace(/\\/g, '\\\\')}}`);
    fc.assert(
      fc.property(value, value, decorate, (a, b, f) => {
        expect(compareAnswers(a, f(b)).equal, `${a} vs ${f(b)}`).toBe(compareAnswers(f(b), a).equal);
        expect(compareAnswers(a, f(a)).equal, `${a} vs ${f(a)}`).toBe(true);
      }),
      { numRuns: 300, seed: 25 },
    );
  });

  it('full-width digits read like ASCII digits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99999 }), (n) => {
        const wide = String(n).replace(/\d/g, (c) => String.fromCharCode(0xff10 + Number(c)));
        expect(extractAnswer(`答案：${wide}`).answer).toBe(String(n));
      }),
      { numRuns: 100, seed: 26 },
    );
  });
});
