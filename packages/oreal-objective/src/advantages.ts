import { InvalidArgumentError } from '@oreal-ts/core';

/** Which per-group advantage estimator to use (computed over ALL K rollouts, before filtering). */
export type AdvantageEstimator = 'rloo' | 'grpo' | 'mean-baseline';

function checkRewards(rewards: readonly number[]): void {
  rewards.forEach((r, i) => {
    if (!Number.isFinite(r)) throw new InvalidArgumentError(`rewards[${i}]`, `must be a finite number, got ${r}`);
  });
}

/**
 * Leave-one-out (RLOO) advantages of one group: `A_i = r_i − mean_{j≠i} r_j`
 * (oreal-method.md, "The loop", step 3). With ±1 rewards and pass rate p over K rollouts this is
 * `A⁺ = 2K(1−p)/(K−1)`, `A⁻ = −2Kp/(K−1)`.
 *
 * Shapes: rewards `[K]` → advantages `[K]`. A group of one rollout has no other rollout to
 * compare with: its advantage is 0 (chosen: no signal rather than a division by zero).
 */
export function rlooAdvantages(rewards: readonly number[]): number[] {
  checkRewards(rewards);
  const k = rewards.length;
  if (k < 2) return rewards.map(() => 0);
  const sum = rewards.reduce((s, r) => s + r, 0);
  // mean_{j≠i} r_j = (Σ r − r_i) / (K − 1)
  return rewards.map((r) => r - (sum - r) / (k - 1));
}

/** Options of `grpoAdvantages`. */
export interface GrpoAdvantageOptions {
  /** Added to the standard deviation before dividing. Default 1e-8 (DeepSeekMath / TRL). */
  readonly epsilon?: number;
}

/**
 * GRPO advantages of one group: `A_i = (r_i − mean r) / (std r + ε)` with the UNBIASED
 * standard deviation (divisor K − 1, as `torch.std` in the GRPO reference implementations).
 *
 * Shapes: rewards `[K]` → advantages `[K]`. For K = 1 the unbiased std is undefined: the
 * advantage is 0.
 */
export function grpoAdvantages(rewards: readonly number[], options: GrpoAdvantageOptions = {}): number[] {
  checkRewards(rewards);
  const epsilon = options.epsilon ?? 1e-8;
  if (!(epsilon >= 0)) throw new InvalidArgumentError('epsilon', `must be ≥ 0, got ${epsilon}`);
  const k = rewards.length;
  if (k < 2) return rewards.map(() => 0);
  const mean = rewards.reduce((s, r) => s + r, 0) / k;
  const variance = rewards.reduce((s, r) => s + (r - mean) ** 2, 0) / (k - 1);
  const std = Math.sqrt(variance);
  return rewards.map((r) => (r - mean) / (std + epsilon));
}

/**
 * Mean-baseline advantages of one group: `A_i = r_i − mean_j r_j` (the mean includes `r_i`).
 * This is REINFORCE with a per-group baseline, and Dr. GRPO's advantage (GRPO without the std
 * division). Shapes: rewards `[K]` → advantages `[K]`.
 */
export function meanBaselineAdvantages(rewards: readonly number[]): number[] {
  checkRewards(rewards);
  if (rewards.length === 0) return [];
  const mean = rewards.reduce((s, r) => s + r, 0) / rewards.length;
  return rewards.map((r) => r - mean);
}

/** Advantages of one group `[K]` with the named estimator. */
export function groupAdvantages(
  rewards: readonly number[],
  estimator: AdvantageEstimator,
  options: GrpoAdvantageOptions = {},
): number[] {
  switch (estimator) {
    case 'rloo':
      return rlooAdvantages(rewards);
    case 'grpo':
      return grpoAdvantages(rewards, options);
    case 'mean-baseline':
      return meanBaselineAdvantages(rewards);
  }
}
