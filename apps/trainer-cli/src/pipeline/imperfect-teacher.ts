import { SeededRng, hashString, type Problem } from '@oreal-ts/core';

/**
 * An imperfect teacher for the supervised warm start: the worked solution of an addition problem
 * (`47+85=` → `7+5=12;4+8+1=13;\boxed{132}`) rewritten as if the teacher forgot each column carry
 * with probability `carryDropRate` (`7+5=12;4+8=12;\boxed{122}`): later columns and the boxed
 * answer follow the slip consistently. Problems of other families, or whose solution is not in the
 * column format, are returned unchanged. The gold `answer` is never touched — only the SFT target.
 *
 * Why: OREAL learns from outcome rewards what its SFT data taught wrong. Distilled SFT data is
 * rarely perfect; a teacher that drops carries reproduces that in a controlled way, so the demo
 * shows RL repairing a systematic error (see the README's demo section). Seeded per problem id.
 */
export function withImperfectTeacher(problem: Problem, carryDropRate: number, seed: number): Problem {
  if (carryDropRate <= 0 || problem.solution === undefined) return problem;
  const match = /^(\d+)\+(\d+)=$/.exec(problem.question);
  if (!match) return problem;
  const a = match[1] as string;
  const b = match[2] as string;
  const width = Math.max(a.length, b.length);
  const digits = (text: string) => Array.from(text.padStart(width, '0'), Number).reverse();
  const da = digits(a);
  const db = digits(b);
  const rng = new SeededRng(hashString(`oreal-ts/imperfect-teacher:${seed}:${problem.id}`));
  const steps: string[] = [];
  const resultDigits: number[] = [];
  let carry = 0;
  for (let i = 0; i < width; i++) {
    const sum = (da[i] as number) + (db[i] as number) + carry;
    steps.push(`${da[i]}+${db[i]}${carry ? `+${carry}` : ''}=${sum}`);
    resultDigits.push(sum % 10);
    carry = sum >= 10 ? 1 : 0;
    // The slip: the carry out of this column is forgotten before the next column (not after the last).
    if (carry === 1 && i < width - 1 && rng.next() < carryDropRate) carry = 0;
  }
  const answer = `${carry ? '1' : ''}${resultDigits.reverse().join('')}`.replace(/^0+(?=\d)/, '');
  const solution = `${steps.join(';')};\\boxed{${answer}}`;
  return { ...problem, solution };
}
