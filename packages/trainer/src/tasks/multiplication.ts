import type { TaskGenerator } from './task-family';
import { digitsOf, randomWithDigits } from './number-format';

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
  const steps: string[] = [];
  if (b < 10) {
    const da = digitsOf(a, String(a).length);
    let carry = 0;
    for (const digit of da) {
      const value = digit * b + carry;
      steps.push(`${digit}*${b}${carry ? `+${carry}` : ''}=${value}`);
      carry = Math.floor(value / 10);
    }
  } else {
    const db = digitsOf(b, String(b).length);
    const partials: number[] = [];
    db.forEach((digit, place) => {
      if (digit === 0) return;
      const factor = digit * 10 ** place;
      partials.push(a * factor);
      steps.push(`${a}*${factor}=${a * factor}`);
    });
    if (partials.length > 1) steps.push(`${partials.join('+')}=${answer}`);
  }
  return { question: `${a}*${b}=`, solution: `${steps.join(';')};\\boxed{${answer}}`, answer };
};
