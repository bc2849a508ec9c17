import { describe, expect, it } from 'vitest';
import { generateProblems } from '@oreal-ts/trainer';
import { withImperfectTeacher } from '../src/pipeline/imperfect-teacher';

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
