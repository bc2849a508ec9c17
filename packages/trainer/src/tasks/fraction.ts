import type { TaskGenerator } from './task-family';
import { fractionLatex, fractionText, greatestCommonDivisor, leastCommonMultiple } from './number-format';

/**
 * Fraction arithmetic `p/q∘r/s=` on proper fractions, answered in lowest terms as `\frac{p}{q}`
 * (or an integer). Sums and differences go through the least common denominator:
 * `1/2+1/3=` → `3/6+2/6=5/6;\boxed{\frac{5}{6}}`, `1/6+1/3=` → `1/6+2/6=3/6=1/2;\boxed{\frac{1}{2}}`;
 * products multiply across: `2/3*3/4=` → `2*3=6;3*4=12;6/12=1/2;\boxed{\frac{1}{2}}`.
 */
export const generateFraction: TaskGenerator = (rng, difficulty) => {
  const maxDenominator = difficulty.maxDenominator ?? 9;
  const operation = rng.choice(difficulty.operations ?? ['+', '-']);
  const q1 = rng.intBetween(2, maxDenominator);
  const p1 = rng.intBetween(1, q1 - 1);
  const q2 = rng.intBetween(2, maxDenominator);
  const p2 = rng.intBetween(1, q2 - 1);
  if (greatestCommonDivisor(p1, q1) !== 1 || greatestCommonDivisor(p2, q2) !== 1) return null; // operands in lowest terms
  const question = `${p1}/${q1}${operation}${p2}/${q2}=`;
  let numerator: number;
  let denominator: number;
  const steps: string[] = [];
  if (operation === '*') {
    numerator = p1 * p2;
    denominator = q1 * q2;
    steps.push(`${p1}*${p2}=${numerator}`, `${q1}*${q2}=${denominator}`);
    const reduced = fractionText(numerator, denominator);
    steps.push(
      `${numerator}/${denominator}` + (reduced === `${numerator}/${denominator}` ? '' : `=${reduced}`),
    );
  } else {
    if (operation === '-' && !difficulty.allowNegative && p1 * q2 < p2 * q1) return null;
    denominator = leastCommonMultiple(q1, q2);
    const a = p1 * (denominator / q1);
    const b = p2 * (denominator / q2);
    numerator = operation === '+' ? a + b : a - b;
    const reduced = fractionText(numerator, denominator);
    steps.push(
      `${a}/${denominator}${operation}${b}/${denominator}=${numerator}/${denominator}` +
        (reduced === `${numerator}/${denominator}` ? '' : `=${reduced}`),
    );
  }
  const answer = fractionLatex(numerator, denominator);
  return { question, solution: `${steps.join(';')};\\boxed{${answer}}`, answer };
};
