import { describe, expect, it } from 'vitest';
import { generateProblems } from '@oreal-ts/trainer';
import { withImperfectTeacher } from '../src/pipeline/imperfect-teacher';

const problems = generateProblems({ family: 'addition', count: 200, seed: 4, split: 'train', difficulty: { minDigits: 1, maxDigits: 3 } });

describe('imperfect teacher (SFT data)', () => {
  it('reproduces the generator’s worked solutions exactly when it never slips', () => {
    for (const problem of problems) expect(withImperfectTeacher(problem, 1e-12, 1).solution).toBe(problem.solution);
    expect(withImperfectTeacher(problems[0]!, 0, 1)).toBe(problems[0]);
  });

  it('drops carries consistently, keeps the gold answer, and slips at about the given rate', () => {
    let carries = 0;
    let slips = 0;
    for (const problem of problems) {
      const sloppy = withImperfectTeacher(problem, 0.5, 1);
      expect(sloppy.answer).toBe(problem.answer);
      const boxed = /\\boxed\{(\d+)\}$/.exec(sloppy.solution ?? '')?.[1];
      const [a, b] = problem.question.slice(0, -1).split('+').map(Number) as [number, number];
      // Columns that carried in the exact solution (all but the last column).
      const exactSteps = (problem.solution ?? '').split(';').slice(0, -1);
      const width = exactSteps.length;
      exactSteps.slice(0, -1).forEach((step) => {
        if (Number(step.split('=')[1]) >= 10) carries++;
      });
      if (sloppy.solution !== problem.solution) {
        slips++;
        expect(Number(boxed)).toBeLessThan(a + b);
        // a forgotten carry lowers the result by a multiple of ten
        expect((a + b - Number(boxed)) % 10).toBe(0);
      } else expect(Number(boxed)).toBe(a + b);
      expect(sloppy.solution?.split(';').length).toBe(width + 1);
    }
    expect(carries).toBeGreaterThan(50);
    expect(slips).toBeGreaterThan(carries * 0.3);
    expect(slips).toBeLessThan(carries * 0.7);
  });

  it('leaves other families untouched', () => {
    const fraction = generateProblems({ family: 'fraction', count: 3, seed: 1, split: 'train' });
    for (const problem of fraction) expect(withImperfectTeacher(problem, 1, 1)).toBe(problem);
  });
});
