import { InvalidArgumentError } from '@oreal-ts/core';
import { isCorrect } from './filter-groups';

/**
 * One group's advantages with the reward shaping of the negatives removed (the `shapeNegatives:
 * false` option of the OREAL objective; oreal-method.md, "The loop", step 3).
 *
 * With rewards ±1 and pass rate p, RLOO gives A⁺ = 2K(1−p)/(K−1) and A⁻ = −2Kp/(K−1), so the
 * negative term of the OREAL loss is weighted |A⁻| = A⁺ · p/(1−p): that ratio p/(1−p) is the
 * method's reward shaping of negatives (GRPO's estimator gives the same ratio). This function
 * gives every INCORRECT rollout of a group the weight its group's CORRECT rollouts get in the
 * loss, with a negative sign:
 *
 *     A_i ← −Ā⁺   (Ā⁺ = mean advantage of the group's correct rollouts) when `multiplyPositiveByAdvantage`,
 *     A_i ← −1    otherwise (the positives are then weighted 1),
 *
 * so |A⁻|/A⁺ = 1 for every p. Correct rollouts keep their advantage; a group without a correct
 * rollout is returned unchanged (its advantages are 0 for ±1 rewards with every estimator, and
 * there is no positive weight to copy). Everything else of the loss is untouched: λ₋, the N₋
 * normaliser, the token weights ω⁻, the KL and the filter (and its random draws).
 *
 * Shapes: rewards `[K]`, advantages `[K]` → advantages `[K]` (a new array).
 */
export function withoutNegativeShaping(
  rewards: readonly number[],
  advantages: readonly number[],
  multiplyPositiveByAdvantage: boolean,
): number[] {
  if (rewards.length !== advantages.length) {
    throw new InvalidArgumentError(
      'advantages',
      `expected one value per reward (${rewards.length}), got ${advantages.length}`,
    );
  }
  let positiveSum = 0;
  let positives = 0;
  rewards.forEach((reward, i) => {
    if (isCorrect(reward)) {
      positiveSum += advantages[i] as number;
      positives++;
    }
  });
  if (positives === 0) return [...advantages];
  const negativeAdvantage = multiplyPositiveByAdvantage ? -positiveSum / positives : -1;
  return advantages.map((advantage, i) => (isCorrect(rewards[i] as number) ? advantage : negativeAdvantage));
}
