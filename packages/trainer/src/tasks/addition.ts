import type { TaskGenerator } from './task-family';
import { digitsOf, randomWithDigits } from './number-format';

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
  const width = Math.max(String(a).length, String(b).length);
  const da = digitsOf(a, width);
  const db = digitsOf(b, width);
  const steps: string[] = [];
  let carry = 0;
  let carries = 0;
  for (let i = 0; i < width; i++) {
    const sum = (da[i] as number) + (db[i] as number) + carry;
    steps.push(`${da[i]}+${db[i]}${carry ? `+${carry}` : ''}=${sum}`);
    carry = sum >= 10 ? 1 : 0;
    carries += carry;
  }
  const knob = difficulty.carries ?? 'any';
  if ((knob === 'none' && carries > 0) || (knob === 'required' && carries === 0)) return null;
  const answer = String(a + b);
  return { question: `${a}+${b}=`, solution: `${steps.join(';')};\\boxed{${answer}}`, answer };
};
