import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstDeparture } from './first-departure';
import { generateProblems } from './generate-problems';

describe('firstDeparture', () => {
  it('marks the first character that differs from the worked solution', () => {
    expect(firstDeparture('7*6=42;4*6+4=28;\\boxed{282}', '7*6=42;4*6+4=29;\\boxed{292}')).toBe(14);
    expect(firstDeparture('7*6=42;\\boxed{42}', '7*6=42;\\boxed{42}')).toBeNull();
    expect(firstDeparture('7*6=42;\\boxed{42}', '7*6=4')).toBe(5); // truncated: the missing token
    expect(firstDeparture('12', '')).toBe(0);
  });

  it('property: the prefix before the mark is shared, and the mark is a difference or the end of the response', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), (solution, response) => {
        const mark = firstDeparture(solution, response);
        if (mark === null) {
          expect(response.startsWith(solution)).toBe(true);
          return;
        }
        expect(response.slice(0, mark)).toBe(solution.slice(0, mark));
        expect(mark === response.length || response[mark] !== solution[mark]).toBe(true);
      }),
    );
  });

  it('works on the generated problems: a one-digit corruption at position i is marked at i', () => {
    const problems = generateProblems({ family: 'multiplication', count: 20, seed: 3, split: 'train' });
    for (const problem of problems) {
      const solution = problem.solution as string;
      const i = solution.indexOf('=') + 1;
      const wrongDigit = solution[i] === '9' ? '8' : '9';
      const corrupted = `${solution.slice(0, i)}${wrongDigit}${solution.slice(i + 1)}`;
      expect(firstDeparture(solution, corrupted)).toBe(i);
    }
  });
});
