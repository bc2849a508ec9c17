import type { TaskGenerator } from './task-family';
import { digitsOf, randomWithDigits } from './number-format';
import { columnWork, exactSteps, type StepWriter, type WorkedComputation } from './worked-computation';
import { renderWorkedSolution } from './worked-computation';

/**
 * The worked computation of `a+b=` (a, b ≥ 0), each column's result as `write` gives it (exact
 * by default): the columns from the right, one `d₁+d₂(+carry)=s` step each (both digits written,
 * 0 when an operand is shorter), the carry being ⌊s/10⌋ of the column before.
 */
export function additionWork(a: number, b: number, write: StepWriter = exactSteps): WorkedComputation {
  const width = Math.max(String(a).length, String(b).length);
  const da = digitsOf(a, width);
  const db = digitsOf(b, width);
  return columnWork(
    width,
    (i) => (da[i] as number) + (db[i] as number),
    (i, carry) => `${da[i]}+${db[i]}${carry ? `+${carry}` : ''}`,
    write,
  );
}

/**
 * Column addition `a+b=`. The solution adds the columns from the right, one `d₁+d₂(+carry)=s`
 * step each (both digits written, 0 when an operand is shorter), then boxes the sum:
 * `47+85=` → `7+5=12;4+8+1=13;\boxed{132}`.
 */
export const generateAddition: TaskGenerator = (rng, difficulty) => {
  const minDigits = difficulty.minDigits ?? 1;
  const maxDigits = difficulty.maxDigits ?? 3;
  const a = randomWithDigits(rng, minDigits, maxDigits);
  const b = randomWithDigits(rng, minDigits, maxDigits);
  const work = additionWork(a, b);
  const carries = work.steps.filter((step) => step.value >= 10).length;
  const knob = difficulty.carries ?? 'any';
  if ((knob === 'none' && carries > 0) || (knob === 'required' && carries === 0)) return null;
  const answer = String(a + b);
  return { question: `${a}+${b}=`, solution: renderWorkedSolution(work), answer };
};
