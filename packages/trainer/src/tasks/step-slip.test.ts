import { SeededRng } from '@oreal-ts/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstDeparture } from './first-departure';
import { generateProblems } from './generate-problems';
import { additionWork } from './addition';
import { multiplicationWork } from './multiplication';
import { slipOneStep } from './step-slip';
import { renderWorkedSolution } from './worked-computation';

/** Value of a step's left-hand side: a sum of products of integers (`4*6+4`, `282+1410`, `47*30`). */
function evaluate(lhs: string): number {
  return lhs
    .split('+')
    .map((term) => term.split('*').reduce((product, factor) => product * Number(factor), 1))
    .reduce((x, y) => x + y, 0);
}

/**
 * An independent reader of a worked solution: checks that it is self-consistent except for one
 * step — every other step's arithmetic is true for the values written before it (carries of the
 * column formats, partial products listed in the sum) — and returns that step and the boxed value.
 */
function readSolution(question: string, solution: string) {
  const parts = solution.split(';');
  const boxed = /^\\boxed\{(\d+)\}$/.exec(parts.pop() as string);
  expect(boxed, solution).not.toBeNull();
  const steps = parts.map((part) => {
    const [lhs, value] = part.split('=');
    return { lhs: lhs as string, value: Number(value) };
  });
  const wrong = steps.flatMap((step, i) => (evaluate(step.lhs) === step.value ? [] : [i]));
  const columns = /^\d+[+]\d+=$/.test(question) || /^\d+\*\d=$/.test(question);
  if (columns) {
    // Column format: each step's carry is ⌊previous written value / 10⌋; the boxed number is the
    // last written value followed by the other values' units digits.
    steps.forEach((step, i) => {
      const carry = i === 0 ? 0 : Math.floor((steps[i - 1] as { value: number }).value / 10);
      const written = /^\d+[+*]\d+(?:\+(\d+))?$/.exec(step.lhs);
      expect(Number(written?.[1] ?? 0), `${solution} step ${i}`).toBe(carry);
    });
    const last = steps.length - 1;
    const assembled = steps.reduce((sum, s, i) => sum + (i === last ? s.value : s.value % 10) * 10 ** i, 0);
    expect(Number(boxed?.[1])).toBe(assembled);
  } else {
    // Partial products, then (when several) their sum listing them as written.
    const partials = steps.length === 1 ? steps : steps.slice(0, -1);
    if (steps.length > 1)
      expect((steps.at(-1) as { lhs: string }).lhs).toBe(partials.map((p) => p.value).join('+'));
    expect(Number(boxed?.[1])).toBe((steps.at(-1) as { value: number }).value);
  }
  return { wrong, steps, boxed: Number(boxed?.[1]) };
}

/** Random `a+b=` / `a*b=` questions (both multiplication formats) with their gold result. */
const question = fc.oneof(
  fc.record({
    op: fc.constant('*'),
    a: fc.integer({ min: 2, max: 999_999 }),
    b: fc.integer({ min: 2, max: 9 }),
  }),
  fc.record({
    op: fc.constant('*'),
    a: fc.integer({ min: 2, max: 99_999 }),
    b: fc.integer({ min: 10, max: 9999 }),
  }),
  fc.record({
    op: fc.constant('+'),
    a: fc.integer({ min: 0, max: 999_999 }),
    b: fc.integer({ min: 0, max: 999_999 }),
  }),
);

/** The exact worked solution, by the generators' own code path. */
function referenceSolution(op: string, a: number, b: number): string {
  return renderWorkedSolution(op === '*' ? multiplicationWork(a, b) : additionWork(a, b));
}

describe('slipOneStep (step-slip teacher)', () => {
  it('slips one step of generated multiplications (both formats) and additions, first wrong token at that step', () => {
    const problems = [
      ...generateProblems({
        family: 'multiplication',
        count: 150,
        seed: 3,
        split: 'train',
        difficulty: { minDigits: 3, maxDigits: 3 },
      }),
      ...generateProblems({
        family: 'multiplication',
        count: 150,
        seed: 3,
        split: 'train',
        difficulty: { minDigits: 3, maxDigits: 3, multiplierDigits: 2 },
      }),
      ...generateProblems({
        family: 'addition',
        count: 150,
        seed: 3,
        split: 'train',
        difficulty: { minDigits: 3, maxDigits: 4 },
      }),
    ];
    const stepsSeen = new Map<string, Set<number>>();
    for (const [index, problem] of problems.entries()) {
      const slip = slipOneStep(problem.question, problem.solution as string, new SeededRng(index));
      expect(slip, problem.question).not.toBeNull();
      if (!slip) continue;
      const exactRead = readSolution(problem.question, problem.solution as string);
      expect(exactRead.wrong).toEqual([]);
      const read = readSolution(problem.question, slip.solution);
      // The one step whose arithmetic is false is the slipped one; every later step is consistent with it.
      expect(read.wrong).toEqual([slip.step]);
      expect(read.steps[slip.step]?.value).toBe(slip.writtenValue);
      expect(exactRead.steps[slip.step]?.value).toBe(slip.correctValue);
      // The first wrong character is in the slipped step's value, and everything before it is exact.
      const at = firstDeparture(problem.solution as string, slip.solution);
      expect(at).toBe(slip.firstWrongIndex);
      const before = (problem.solution as string).split(';').slice(0, slip.step).join(';').length;
      const stepText = (problem.solution as string).split(';')[slip.step] as string;
      const valueStart = (slip.step === 0 ? 0 : before + 1) + stepText.indexOf('=') + 1;
      expect(slip.firstWrongIndex).toBeGreaterThanOrEqual(valueStart);
      expect(slip.firstWrongIndex).toBeLessThan(valueStart + String(slip.correctValue).length);
      // The boxed answer is the propagated wrong result, never the gold one.
      expect(slip.result).toBe(String(read.boxed));
      expect(slip.result).not.toBe(problem.answer);
      const kind = `${problem.question.includes('+') ? '+' : '*'}${(problem.question.split(/[+*]/)[1] as string).length - 1}`;
      if (!stepsSeen.has(kind)) stepsSeen.set(kind, new Set());
      stepsSeen.get(kind)?.add(slip.step);
    }
    // The slipped position varies: every step index of the 3-digit formats is drawn.
    expect([...(stepsSeen.get('*2') ?? [])].sort()).toEqual([0, 1, 2]);
    expect([...(stepsSeen.get('*1') ?? [])].sort()).toEqual([0, 1, 2]);
    expect((stepsSeen.get('+3') ?? new Set()).size + (stepsSeen.get('+4') ?? new Set()).size).toBeGreaterThan(
      4,
    );
  });

  it('property: exactly one step is wrong, the error propagates additively to the boxed result, deterministic per seed', () => {
    fc.assert(
      fc.property(question, fc.integer({ min: 0, max: 2 ** 31 }), ({ op, a, b }, seed) => {
        const text = `${a}${op}${b}=`;
        const gold = op === '*' ? a * b : a + b;
        const solution = referenceSolution(op, a, b);
        expect(readSolution(text, solution).boxed).toBe(gold);
        const slip = slipOneStep(text, solution, new SeededRng(seed));
        expect(slip).not.toBeNull();
        if (!slip) return;
        expect(slipOneStep(text, solution, new SeededRng(seed))).toEqual(slip);
        const read = readSolution(text, slip.solution);
        expect(read.wrong).toEqual([slip.step]);
        expect(firstDeparture(solution, slip.solution)).toBe(slip.firstWrongIndex);
        expect(String(slip.writtenValue)).toHaveLength(String(slip.correctValue).length);
        // Column steps carry place value 10^step; partial products and their sum enter with weight 1.
        const weight = op === '+' || b < 10 ? 10 ** slip.step : 1;
        expect(Number(slip.result)).toBe(gold + (slip.writtenValue - slip.correctValue) * weight);
        expect(Number(slip.result)).not.toBe(gold);
      }),
      { numRuns: 300 },
    );
  });

  it('returns null for other questions and for solutions not in the family format', () => {
    const rng = new SeededRng(1);
    expect(slipOneStep('3x+2=11', '3x=9;x=3;\\boxed{3}', rng)).toBeNull();
    expect(slipOneStep('47*6=', '47*6=282;\\boxed{282}', rng)).toBeNull();
    expect(slipOneStep('47+85=', '', rng)).toBeNull();
  });
});
