import { ConfigError, InvalidArgumentError, type Problem } from '@oreal-ts/core';
import { createMathVerifier } from '@oreal-ts/math-verifier';
import { describe, expect, it } from 'vitest';
import { generateProblems, splitOf, taskAlphabet } from './generate-problems';
import { TASK_FAMILIES, type TaskDifficulty, type TaskFamily } from './task-family';

/** Exact rational p/q (q > 0) — an oracle written independently of the generators. */
type Rational = { p: bigint; q: bigint };
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b));
const rational = (p: bigint, q: bigint): Rational => {
  const g = gcd(p, q) || 1n;
  const sign = q < 0n ? -1n : 1n;
  return { p: (sign * p) / g, q: (sign * q) / g };
};
const add = (a: Rational, b: Rational) => rational(a.p * b.q + b.p * a.q, a.q * b.q);
const sub = (a: Rational, b: Rational) => rational(a.p * b.q - b.p * a.q, a.q * b.q);
const mul = (a: Rational, b: Rational) => rational(a.p * b.p, a.q * b.q);
const div = (a: Rational, b: Rational) => rational(a.p * b.q, a.q * b.p);
const int = (text: string): Rational => rational(BigInt(text), 1n);

/** The true answer of a question, computed from the question text alone. */
function solve(family: TaskFamily, question: string): Rational {
  let m: RegExpExecArray | null;
  switch (family) {
    case 'addition':
      m = /^(\d+)\+(\d+)=$/.exec(question);
      return add(int(m![1]!), int(m![2]!));
    case 'subtraction':
      m = /^(\d+)-(\d+)=$/.exec(question);
      return sub(int(m![1]!), int(m![2]!));
    case 'multiplication':
      m = /^(\d+)\*(\d+)=$/.exec(question);
      return mul(int(m![1]!), int(m![2]!));
    case 'linear-equation':
      m = /^(\d+)x([+-]\d+)=(-?\d+)$/.exec(question);
      return div(sub(int(m![3]!), int(m![2]!)), int(m![1]!));
    case 'fraction': {
      m = /^(\d+)\/(\d+)([+*-])(\d+)\/(\d+)=$/.exec(question);
      const a = rational(BigInt(m![1]!), BigInt(m![2]!));
      const b = rational(BigInt(m![4]!), BigInt(m![5]!));
      return m![3] === '+' ? add(a, b) : m![3] === '-' ? sub(a, b) : mul(a, b);
    }
  }
}

/** Parse an answer: an integer or (-)\frac{p}{q}. */
function parseAnswer(answer: string): Rational {
  const m = /^(-?)\\frac\{(\d+)\}\{(\d+)\}$/.exec(answer);
  if (m) return rational((m[1] ? -1n : 1n) * BigInt(m[2]!), BigInt(m[3]!));
  expect(answer).toMatch(/^-?\d+$/);
  return int(answer);
}

/** Every `a=b=c` step of a solution is true arithmetic (parts with x, parentheses or LaTeX are skipped). */
function checkSteps(solution: string): void {
  const steps = solution.split(';').slice(0, -1);
  for (const step of steps) {
    const values = step
      .split('=')
      .filter((part) => /^[-0-9+*/]+$/.test(part))
      .map((part) => Function(`"use strict"; return (${part});`)() as number);
    for (const value of values)
      expect(value, `step ${step} of ${solution}`).toBeCloseTo(values[0] as number, 9);
  }
}

const KNOBS: Record<TaskFamily, TaskDifficulty[]> = {
  addition: [{}, { minDigits: 3, maxDigits: 5, carries: 'required' }, { maxDigits: 4, carries: 'none' }],
  subtraction: [{}, { allowNegative: true, maxDigits: 4 }, { carries: 'required' }],
  multiplication: [
    {},
    { maxDigits: 3, multiplierDigits: 2 },
    { minDigits: 2, maxDigits: 2, multiplierDigits: 3 },
  ],
  'linear-equation': [
    {},
    { solution: 'integer' },
    { solution: 'fraction', allowNegative: true, maxCoefficient: 20 },
  ],
  fraction: [
    {},
    { operations: ['*'] },
    { operations: ['+', '-', '*'], allowNegative: true, maxDenominator: 12 },
  ],
};

describe('generateProblems', () => {
  const verifier = createMathVerifier();

  for (const family of TASK_FAMILIES) {
    it(`${family}: answers are right (independent oracle and the real math-verifier) and steps are true arithmetic`, async () => {
      for (const difficulty of KNOBS[family]) {
        for (const split of ['train', 'test'] as const) {
          const problems = generateProblems({ family, count: 60, seed: 1, split, difficulty });
          expect(problems).toHaveLength(60);
          for (const problem of problems) {
            const expected =
              family === 'subtraction' && problem.question.startsWith('-')
                ? null
                : solve(family, problem.question);
            if (family === 'subtraction' && difficulty.allowNegative) {
              const m = /^(\d+)-(\d+)=$/.exec(problem.question);
              expect(parseAnswer(problem.answer)).toEqual(sub(int(m![1]!), int(m![2]!)));
            } else {
              expect(parseAnswer(problem.answer), problem.question).toEqual(expected);
            }
            expect(problem.solution?.endsWith(`\\boxed{${problem.answer}}`)).toBe(true);
            checkSteps(problem.solution ?? '');
            const right = await verifier.verify(problem, {
              text: problem.solution ?? '',
              finishReason: 'stop',
            });
            expect(
              right.correct,
              `${problem.question} ${problem.solution} → ${right.reason} ${right.detail ?? ''}`,
            ).toBe(true);
            const wrong = await verifier.verify(problem, {
              text: problem.solution!.replace(/\\boxed\{.*\}$/, '\\boxed{1234567}'),
              finishReason: 'stop',
            });
            expect(wrong.correct).toBe(false);
          }
        }
      }
    });
  }

  it('keeps questions and solutions short and inside taskAlphabet, and the alphabet is tight', () => {
    const used = new Set<string>();
    for (const family of TASK_FAMILIES) {
      for (const difficulty of KNOBS[family]) {
        for (const problem of generateProblems({ family, count: 100, seed: 2, split: 'train', difficulty })) {
          for (const text of [problem.question, problem.solution ?? '', problem.answer])
            for (const c of text) used.add(c);
          expect(problem.question.length).toBeLessThanOrEqual(16);
          expect((problem.solution ?? '').length).toBeLessThanOrEqual(96);
        }
      }
    }
    expect([...used].sort().join('')).toBe([...taskAlphabet].sort().join(''));
  });

  it('train and test never overlap, whatever the seeds and knobs', () => {
    for (const family of TASK_FAMILIES) {
      const train = new Set<string>();
      const test = new Set<string>();
      for (let seed = 0; seed < 4; seed++) {
        for (const difficulty of KNOBS[family]) {
          for (const p of generateProblems({ family, count: 40, seed, split: 'train', difficulty }))
            train.add(p.question);
          for (const p of generateProblems({ family, count: 40, seed, split: 'test', difficulty }))
            test.add(p.question);
        }
      }
      expect([...train].filter((q) => test.has(q))).toEqual([]);
      for (const q of train) expect(splitOf(family, q)).toBe('train');
      for (const q of test) expect(splitOf(family, q)).toBe('test');
      expect(test.size).toBeGreaterThan(20);
    }
  });

  it('is deterministic by seed and gives distinct problems', () => {
    const a = generateProblems({ family: 'fraction', count: 50, seed: 9, split: 'train' });
    const b = generateProblems({ family: 'fraction', count: 50, seed: 9, split: 'train' });
    const c = generateProblems({ family: 'fraction', count: 50, seed: 10, split: 'train' });
    expect(a).toEqual(b);
    expect(a.map((p) => p.id)).not.toEqual(c.map((p) => p.id));
    expect(new Set(a.map((p) => p.id)).size).toBe(50);
    expect(a[0]).toMatchObject({ id: `fraction:${a[0]?.question}`, subject: 'fraction' });
  });

  it('honours the difficulty knobs', () => {
    const columnsCarry = (p: Problem) => {
      const [a, b] = p.question.slice(0, -1).split('+').map(Number) as [number, number];
      let carry = 0;
      let carries = 0;
      for (let x = a, y = b; x > 0 || y > 0; x = Math.floor(x / 10), y = Math.floor(y / 10)) {
        carry = (x % 10) + (y % 10) + carry >= 10 ? 1 : 0;
        carries += carry;
      }
      return carries;
    };
    expect(
      generateProblems({
        family: 'addition',
        count: 50,
        seed: 1,
        split: 'train',
        difficulty: { maxDigits: 4, carries: 'none' },
      }).every((p) => columnsCarry(p) === 0),
    ).toBe(true);
    const hard = generateProblems({
      family: 'addition',
      count: 50,
      seed: 1,
      split: 'train',
      difficulty: { minDigits: 4, maxDigits: 4, carries: 'required' },
    });
    expect(hard.every((p) => columnsCarry(p) > 0 && /^\d{4}\+\d{4}=$/.test(p.question))).toBe(true);
    expect(
      generateProblems({ family: 'subtraction', count: 50, seed: 1, split: 'train' }).every(
        (p) => !p.answer.startsWith('-'),
      ),
    ).toBe(true);
    expect(
      generateProblems({
        family: 'linear-equation',
        count: 50,
        seed: 1,
        split: 'train',
        difficulty: { solution: 'integer' },
      }).every((p) => /^\d+$/.test(p.answer)),
    ).toBe(true);
    expect(
      generateProblems({
        family: 'linear-equation',
        count: 50,
        seed: 1,
        split: 'train',
        difficulty: { solution: 'fraction' },
      }).every((p) => p.answer.includes('\\frac')),
    ).toBe(true);
    const fractions = generateProblems({
      family: 'fraction',
      count: 80,
      seed: 1,
      split: 'train',
      difficulty: { operations: ['+', '-', '*'], allowNegative: true },
    });
    for (const p of fractions) {
      const r = parseAnswer(p.answer);
      expect(gcd(r.p, r.q)).toBe(1n);
      if (p.answer.includes('\\frac')) expect(r.q > 1n).toBe(true);
    }
    expect(fractions.some((p) => p.answer.startsWith('-'))).toBe(true);
  });

  it('refuses bad knobs with ConfigError and an exhausted space with InvalidArgumentError', () => {
    expect(() =>
      generateProblems({
        family: 'addition',
        count: 5,
        seed: 1,
        split: 'train',
        difficulty: { maxDigits: 0 },
      }),
    ).toThrow(ConfigError);
    expect(() =>
      generateProblems({
        family: 'addition',
        count: 5,
        seed: 1,
        split: 'train',
        difficulty: { maxDigits: 0 },
      }),
    ).toThrow(/difficulty\.maxDigits/);
    expect(() =>
      generateProblems({
        family: 'addition',
        count: 5,
        seed: 1,
        split: 'train',
        difficulty: { minDigits: 3, maxDigits: 2 },
      }),
    ).toThrow(/lower minDigits/);
    expect(() =>
      generateProblems({ family: 'nope' as TaskFamily, count: 5, seed: 1, split: 'train' }),
    ).toThrow(/unknown task family/);
    // one-digit additions: at most 100 exist, about 20 of them in the test split
    expect(() =>
      generateProblems({
        family: 'addition',
        count: 60,
        seed: 1,
        split: 'test',
        difficulty: { maxDigits: 1 },
      }),
    ).toThrow(InvalidArgumentError);
  });
});
