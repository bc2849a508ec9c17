import type { TaskGenerator } from './task-family';
import { fractionLatex, fractionText, reduceFraction } from './number-format';

/**
 * Linear equations `ax+b=c` (a ≥ 2) with an integer or fractional solution. Solution: move `b`,
 * then divide, then reduce: `3x+5=20` → `3x=20-5=15;x=15/3=5;\boxed{5}`,
 * `4x+3=9` → `4x=9-3=6;x=6/4=3/2;\boxed{\frac{3}{2}}`.
 */
export const generateLinearEquation: TaskGenerator = (rng, difficulty) => {
  const maxCoefficient = difficulty.maxCoefficient ?? 9;
  const negative = difficulty.allowNegative === true;
  const kind = difficulty.solution ?? 'any';
  const wantFraction = kind === 'fraction' || (kind === 'any' && rng.next() < 0.5);
  const a = rng.intBetween(2, maxCoefficient);
  const b = negative ? rng.intBetween(-maxCoefficient, maxCoefficient) : rng.intBetween(1, maxCoefficient);
  if (b === 0) return null;
  let rhs: number;
  if (wantFraction) {
    rhs = negative
      ? rng.intBetween(-a * maxCoefficient, a * maxCoefficient)
      : rng.intBetween(1, a * maxCoefficient);
    if (rhs % a === 0) return null;
  } else {
    const x = negative ? rng.intBetween(-maxCoefficient, maxCoefficient) : rng.intBetween(0, maxCoefficient);
    rhs = a * x;
  }
  const c = rhs + b;
  if (!negative && c < 0) return null;
  const question = `${a}x${b < 0 ? '-' : '+'}${Math.abs(b)}=${c}`;
  const move = `${a}x=${c}${b < 0 ? '+' : '-'}${Math.abs(b)}=${rhs}`;
  const reduced = reduceFraction(rhs, a);
  const plain = fractionText(rhs, a);
  const divide = `x=${rhs}/${a}` + (plain === `${rhs}/${a}` ? '' : `=${plain}`);
  const answer = fractionLatex(reduced.p, reduced.q);
  return { question, solution: `${move};${divide};\\boxed{${answer}}`, answer };
};
