import type { TaskGenerator } from './task-family';
import { digitsOf, randomWithDigits } from './number-format';
import {
  columnWork,
  exactSteps,
  renderWorkedSolution,
  type StepWriter,
  type WorkedComputation,
  type WorkedStep,
} from './worked-computation';

/**
 * The worked computation of `a*b=` (a, b ≥ 0), each step's result as `write` gives it (exact by
 * default; the step-slip teacher passes one that changes one step). With a one-digit `b`, each
 * digit of `a` from the right is one `d*b(+carry)=v` step, the carry being ⌊v/10⌋ of the step
 * before. With a longer `b`, one partial product `a*f=p` per non-zero digit of `b` (f = the digit
 * times its place value), then, when there are several, their sum `p₁+p₂…=s` written with the
 * partial products as written.
 */
export function multiplicationWork(a: number, b: number, write: StepWriter = exactSteps): WorkedComputation {
  if (b < 10) {
    const da = digitsOf(a, String(a).length);
    return columnWork(
      da.length,
      (i) => (da[i] as number) * b,
      (i, carry) => `${da[i]}*${b}${carry ? `+${carry}` : ''}`,
      write,
    );
  }
  const db = digitsOf(b, String(b).length);
  const steps: WorkedStep[] = [];
  const partials: number[] = [];
  db.forEach((digit, place) => {
    if (digit === 0) return;
    const factor = digit * 10 ** place;
    const value = write(steps.length, a * factor);
    partials.push(value);
    steps.push({ lhs: `${a}*${factor}`, value });
  });
  if (partials.length === 1) return { steps, result: partials[0] as number };
  const sum = write(
    steps.length,
    partials.reduce((x, y) => x + y, 0),
  );
  steps.push({ lhs: partials.join('+'), value: sum });
  return { steps, result: sum };
}

/**
 * Long multiplication `a*b=`. With a one-digit `b`, each digit of `a` from the right is one
 * `d*b(+carry)=v` step: `47*6=` → `7*6=42;4*6+4=28;\boxed{282}`. With a longer `b`, one partial
 * product per digit of `b`, then their sum: `47*36=` → `47*6=282;47*30=1410;282+1410=1692;\boxed{1692}`.
 */
export const generateMultiplication: TaskGenerator = (rng, difficulty) => {
  const minDigits = difficulty.minDigits ?? 1;
  const maxDigits = difficulty.maxDigits ?? 2;
  const multiplierDigits = difficulty.multiplierDigits ?? 1;
  const a = randomWithDigits(rng, minDigits, maxDigits);
  const b = randomWithDigits(rng, multiplierDigits, multiplierDigits);
  if (a < 2 || b < 2) return null; // ×0 and ×1 teach nothing
  const answer = String(a * b);
  return { question: `${a}*${b}=`, solution: renderWorkedSolution(multiplicationWork(a, b)), answer };
};
