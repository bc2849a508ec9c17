import type { RandomSource } from '@oreal-ts/core';
import { additionWork } from './addition';
import { multiplicationWork } from './multiplication';
import {
  renderWorkedSolution,
  stepValueOffset,
  type StepWriter,
  type WorkedComputation,
} from './worked-computation';

/** A worked solution with one slipped step (see `slipOneStep`). */
export interface StepSlip {
  /** The whole wrong solution, ending in `\boxed{result}` with the propagated wrong result. */
  readonly solution: string;
  /** The boxed (wrong) result. */
  readonly result: string;
  /** Index of the slipped step (0 = the first step). */
  readonly step: number;
  /** The step's correct value and the value written instead (same number of digits, one digit differs). */
  readonly correctValue: number;
  readonly writtenValue: number;
  /**
   * Character (= token, for the character tokenizer) index of the first wrong character: the
   * changed digit of the slipped step's value. Everything before it equals the exact solution.
   */
  readonly firstWrongIndex: number;
}

/** The worked computation of a column-format question (`a+b=` or `a*b=`), or null for other questions. */
function workOf(question: string): ((write?: StepWriter) => WorkedComputation) | null {
  const match = /^(\d+)([+*])(\d+)=$/.exec(question);
  if (!match) return null;
  const a = Number(match[1]);
  const b = Number(match[3]);
  return match[2] === '+' ? (write) => additionWork(a, b, write) : (write) => multiplicationWork(a, b, write);
}

/**
 * One slipped step in the worked solution of an addition (`a+b=`) or multiplication (`a*b=`)
 * question, as a self-consistent but wrong teacher would write it. The step is drawn uniformly
 * from all steps (column steps, partial products and the final sum), then one digit of its value
 * uniformly, then a different digit for it (never a leading zero, so the value keeps its length).
 * Every later step is recomputed from the written values — a changed column value changes the
 * next carry, a changed partial product is added as written — and the boxed result is the
 * propagated wrong result. The first wrong character is the changed digit (`firstWrongIndex`):
 * the steps before the slipped one and the slipped step's `lhs=` are exact.
 *
 * Returns null when the question is not in a column format or `solution` is not exactly the
 * family's worked solution (e.g. problems from a file), so nothing else is ever rewritten.
 */
export function slipOneStep(question: string, solution: string, rng: RandomSource): StepSlip | null {
  const work = workOf(question);
  if (!work) return null;
  const exact = work();
  if (renderWorkedSolution(exact) !== solution || exact.steps.length === 0) return null;
  const step = Math.floor(rng.next() * exact.steps.length);
  const correctValue = (exact.steps[step] as { value: number }).value;
  const digits = String(correctValue);
  const position = Math.floor(rng.next() * digits.length);
  const old = Number(digits[position]);
  const allowed = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter(
    (d) => d !== old && !(d === 0 && position === 0 && digits.length > 1),
  );
  const digit = allowed[Math.floor(rng.next() * allowed.length)] as number;
  const writtenValue = Number(`${digits.slice(0, position)}${digit}${digits.slice(position + 1)}`);
  const slipped = work((i, value) => (i === step ? writtenValue : value));
  return {
    solution: renderWorkedSolution(slipped),
    result: String(slipped.result),
    step,
    correctValue,
    writtenValue,
    firstWrongIndex: stepValueOffset(exact, step) + position,
  };
}
