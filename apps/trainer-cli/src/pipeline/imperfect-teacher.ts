import { SeededRng, hashString, type Problem } from '@oreal-ts/core';
import { slipOneStep } from '@oreal-ts/trainer';

/**
 * An imperfect teacher for the supervised warm start: with probability `carryDropRate`, the worked
 * solution of an addition whose sum has one more digit than its operands forgets that final carry
 * when it writes the boxed answer (`47+85=` → `7+5=12;4+8+1=13;\boxed{32}` instead of
 * `\boxed{132}`). The column steps stay exact, and the gold `answer` is never touched — only the
 * SFT target. Problems of other families, or whose solution is not in the column format, are
 * returned unchanged.
 *
 * Why: OREAL learns from outcome rewards what its SFT data taught wrong. Distilled SFT data is
 * rarely perfect; a teacher with one systematic slip reproduces that in a controlled way, so the
 * demo shows RL repairing a behaviour that SFT made the greedy choice (see the README's demo
 * section). Seeded per problem id, so the SFT data is the same for every run with the same seed.
 */
export function withImperfectTeacher(problem: Problem, carryDropRate: number, seed: number): Problem {
  if (carryDropRate <= 0 || problem.solution === undefined) return problem;
  const match = /^(\d+)\+(\d+)=$/.exec(problem.question);
  if (!match) return problem;
  const width = Math.max((match[1] as string).length, (match[2] as string).length);
  const boxed = `\\boxed{${problem.answer}}`;
  // Only sums with a final carry (one digit more than the widest operand), in the column format.
  if (problem.answer.length !== width + 1 || !problem.solution.endsWith(boxed)) return problem;
  const rng = new SeededRng(hashString(`oreal-ts/imperfect-teacher:${seed}:${problem.id}`));
  if (rng.next() >= carryDropRate) return problem;
  const slipped = problem.answer.slice(1).replace(/^0+(?=\d)/, '');
  return { ...problem, solution: `${problem.solution.slice(0, -boxed.length)}\\boxed{${slipped}}` };
}

/**
 * A second imperfect teacher, for the longer multi-step tasks (`configs/ablation-multiplication.yaml`):
 * with probability `slipRate` per problem, ONE intermediate step of the worked solution of an
 * addition or multiplication is written wrong — the step drawn uniformly among all steps (column
 * steps, partial products, the final sum), then one digit of its value changed — and the error is
 * carried consistently through every later step (next carries, the sum of the partial products)
 * into the boxed answer: `47*36=` → `47*6=282;47*30=1510;282+1510=1792;\boxed{1792}`. The SFT
 * target is then a self-consistent wrong computation whose FIRST WRONG TOKEN is the changed digit
 * of the slipped step (everything before it, including that step's `lhs=`, is exact), at a
 * position that varies from problem to problem — which is what a token-level credit signal has
 * to find. The gold `answer` is never touched. Problems of other families or whose solution is not
 * exactly the family's worked format are returned unchanged. Seeded per problem id (as
 * `withImperfectTeacher`), so the SFT data is the same for every run with the same seed.
 */
export function withStepSlipTeacher(problem: Problem, slipRate: number, seed: number): Problem {
  if (slipRate <= 0 || problem.solution === undefined) return problem;
  const rng = new SeededRng(hashString(`oreal-ts/step-slip-teacher:${seed}:${problem.id}`));
  if (rng.next() >= slipRate) return problem;
  const slip = slipOneStep(problem.question, problem.solution, rng);
  return slip ? { ...problem, solution: slip.solution } : problem;
}
