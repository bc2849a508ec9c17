import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Problem } from '@oreal-ts/core';
import { firstDeparture, generateProblems } from '@oreal-ts/trainer';
import { createTaskTokenizer } from '../src/compose/create-components';
import { loadConfig } from '../src/config/load-config';
import { withImperfectTeacher, withStepSlipTeacher } from '../src/pipeline/imperfect-teacher';
import { supervisedExamples } from '../src/pipeline/warm-start';

const problems = generateProblems({
  family: 'addition',
  count: 300,
  seed: 4,
  split: 'train',
  difficulty: { minDigits: 2, maxDigits: 2 },
});

describe('imperfect teacher (SFT data)', () => {
  it('is the identity at rate 0 and for sums without a final carry', () => {
    for (const problem of problems) {
      expect(withImperfectTeacher(problem, 0, 1)).toBe(problem);
      if (Number(problem.answer) < 100) expect(withImperfectTeacher(problem, 1, 1)).toBe(problem);
    }
  });

  it('forgets the final carry in the boxed answer only, at about the given rate, keeping the gold answer', () => {
    let finalCarries = 0;
    let slips = 0;
    for (const problem of problems) {
      if (Number(problem.answer) < 100) continue;
      finalCarries++;
      const sloppy = withImperfectTeacher(problem, 0.7, 1);
      expect(sloppy.answer).toBe(problem.answer);
      if (sloppy.solution === problem.solution) continue;
      slips++;
      const steps = (problem.solution ?? '').split(';').slice(0, -1).join(';');
      expect(sloppy.solution).toBe(`${steps};\\boxed{${Number(problem.answer) - 100}}`);
    }
    expect(finalCarries).toBeGreaterThan(80);
    expect(slips / finalCarries).toBeGreaterThan(0.55);
    expect(slips / finalCarries).toBeLessThan(0.85);
    // Seeded per problem: the same data every time.
    expect(problems.map((p) => withImperfectTeacher(p, 0.7, 1).solution)).toEqual(
      problems.map((p) => withImperfectTeacher(p, 0.7, 1).solution),
    );
  });

  it('leaves other families untouched', () => {
    const fraction = generateProblems({ family: 'fraction', count: 3, seed: 1, split: 'train' });
    for (const problem of fraction) expect(withImperfectTeacher(problem, 1, 1)).toBe(problem);
  });
});

describe('step-slip teacher (SFT data)', () => {
  const multiplications = generateProblems({
    family: 'multiplication',
    count: 300,
    seed: 4,
    split: 'train',
    difficulty: { minDigits: 3, maxDigits: 3, multiplierDigits: 1 },
  });

  it('property: rate 0 is the identity; otherwise one slipped step, first wrong token there, gold answer unchanged, deterministic per seed', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...multiplications, ...problems),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 1000 }),
        (problem, rate, seed) => {
          expect(withStepSlipTeacher(problem, 0, seed)).toBe(problem);
          const taught = withStepSlipTeacher(problem, rate, seed);
          expect(withStepSlipTeacher(problem, rate, seed)).toEqual(taught);
          expect({ ...taught, solution: problem.solution }).toEqual(problem);
          if (taught.solution === problem.solution) return;
          const gold = problem.solution as string;
          const wrong = taught.solution as string;
          const at = firstDeparture(gold, wrong) as number;
          // The departure is a digit of a step's value (after its `=`), not in the boxed answer.
          const stepIndex = gold.slice(0, at).split(';').length - 1;
          const steps = gold.split(';').length - 1;
          expect(stepIndex).toBeLessThan(steps);
          expect(gold.split(';')[stepIndex]?.includes('=')).toBe(true);
          expect(gold.slice(0, at).split(';').at(-1)).toContain('=');
          expect(/\d/.test(wrong[at] as string)).toBe(true);
          // The boxed answer is wrong (propagated), the gold answer is not.
          expect(wrong.endsWith(`\\boxed{${problem.answer}}`)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('slips about `rate` of the problems, at varying steps', () => {
    const slipped = multiplications.filter((p) => withStepSlipTeacher(p, 0.3, 1).solution !== p.solution);
    expect(slipped.length / multiplications.length).toBeGreaterThan(0.22);
    expect(slipped.length / multiplications.length).toBeLessThan(0.38);
    const steps = new Set(
      slipped.map((p) => {
        const at = firstDeparture(p.solution as string, withStepSlipTeacher(p, 0.3, 1).solution as string);
        return (p.solution as string).slice(0, at as number).split(';').length - 1;
      }),
    );
    expect([...steps].sort()).toEqual([0, 1, 2]);
    // Another seed slips other problems.
    const other = multiplications.filter((p) => withStepSlipTeacher(p, 0.3, 2).solution !== p.solution);
    expect(other.map((p) => p.id)).not.toEqual(slipped.map((p) => p.id));
  });

  it('is applied before the carry-drop teacher in the SFT examples, at most one slip per problem', async () => {
    const config = await loadConfig({
      overrides: ['sft.teacherStepSlipRate=0.5', 'sft.teacherCarryDropRate=1'],
    });
    const tokenizer = createTaskTokenizer();
    const examples = supervisedExamples(problems, config, tokenizer);
    examples.forEach((example, i) => {
      const problem = problems[i] as Problem;
      const slipped = withStepSlipTeacher(problem, 0.5, config.seed);
      expect(example.response).toBe(
        slipped.solution !== problem.solution
          ? slipped.solution
          : withImperfectTeacher(problem, 1, config.seed).solution,
      );
    });
  });

  it('leaves other families untouched', () => {
    const fraction = generateProblems({ family: 'fraction', count: 3, seed: 1, split: 'train' });
    for (const problem of fraction) expect(withStepSlipTeacher(problem, 1, 1)).toBe(problem);
  });
});
