import type { TaskGenerator } from './task-family';
import { digitsOf, randomWithDigits } from './number-format';

/**
 * Column subtraction `a-b=`. Each column from the right is one `v-d=r` step, where `v` is the top
 * digit after the borrow from the previous column, plus 10 when this column borrows:
 * `85-47=` → `15-7=8;7-4=3;\boxed{38}`. With `allowNegative`, a smaller minuend is rewritten as
 * `-(b-a)` first: `47-85=` → `-(85-47);15-7=8;7-4=3;\boxed{-38}`.
 */
export const generateSubtraction: TaskGenerator = (rng, difficulty) => {
  const minDigits = difficulty.minDigits ?? 1;
  const maxDigits = difficulty.maxDigits ?? 3;
  let a = randomWithDigits(rng, minDigits, maxDigits);
  let b = randomWithDigits(rng, minDigits, maxDigits);
  const question = difficulty.allowNegative ? `${a}-${b}=` : `${Math.max(a, b)}-${Math.min(a, b)}=`;
  const negative = difficulty.allowNegative === true && a < b;
  if (!difficulty.allowNegative || negative) [a, b] = [Math.max(a, b), Math.min(a, b)];
  const width = String(a).length;
  const da = digitsOf(a, width);
  const db = digitsOf(b, width);
  const steps: string[] = negative ? [`-(${a}-${b})`] : [];
  let borrow = 0;
  let borrows = 0;
  for (let i = 0; i < width; i++) {
    const top = (da[i] as number) - borrow;
    const bottom = db[i] as number;
    const next = top < bottom ? 1 : 0;
    const value = top + 10 * next;
    steps.push(`${value}-${bottom}=${value - bottom}`);
    borrow = next;
    borrows += next;
  }
  const knob = difficulty.carries ?? 'any';
  if ((knob === 'none' && borrows > 0) || (knob === 'required' && borrows === 0)) return null;
  const answer = String(negative ? -(a - b) : a - b);
  return { question, solution: `${steps.join(';')};\\boxed{${answer}}`, answer };
};
