import type { Rollout } from '@oreal-ts/core';

/**
 * The sampler's log-prob of each response token, when it sent one per token (`logProbs` aligned
 * with a non-empty `tokenIds`); undefined otherwise (re-tokenised text, no log-probs).
 */
export function samplerLogProbsOf(
  rollout: Pick<Rollout, 'tokenIds' | 'logProbs'>,
): readonly number[] | undefined {
  const { tokenIds, logProbs } = rollout;
  return tokenIds.length > 0 && logProbs.length === tokenIds.length ? logProbs : undefined;
}

/** How far the sampler's log-probs are from the trainer's on the same tokens. */
export interface LogProbMismatch {
  /** Tokens compared (those of rows with sampler log-probs). */
  readonly tokens: number;
  /** Rows without sampler log-probs (not compared). */
  readonly rowsWithout: number;
  /** Mean |ℓ_trainer − ℓ_sampler| over the compared tokens. */
  readonly meanAbs: number;
  /** Largest |ℓ_trainer − ℓ_sampler|. */
  readonly maxAbs: number;
  /**
   * k3 estimate of KL(sampler ‖ trainer) over the compared tokens: mean of e^d − 1 − d with
   * d = ℓ_trainer − ℓ_sampler (the tokens were drawn by the sampler, so r = e^d = p_trainer/p_sampler).
   */
  readonly kl: number;
}

/**
 * Compare the trainer's log-probs of the sampled tokens with the sampler's (pure). Row r of
 * `trainer` and `sampler` describe the same tokens; rows whose `sampler` entry is undefined or of
 * another length are skipped and counted. Null when no token could be compared.
 */
export function logProbMismatch(
  trainer: readonly (readonly number[])[],
  sampler: readonly (readonly number[] | undefined)[],
): LogProbMismatch | null {
  let tokens = 0;
  let rowsWithout = 0;
  let sumAbs = 0;
  let maxAbs = 0;
  let sumK3 = 0;
  trainer.forEach((row, r) => {
    const reference = sampler[r];
    if (!reference || reference.length !== row.length) {
      rowsWithout++;
      return;
    }
    row.forEach((l, t) => {
      const d = l - (reference[t] as number);
      const abs = Math.abs(d);
      sumAbs += abs;
      if (abs > maxAbs) maxAbs = abs;
      sumK3 += Math.max(0, Math.expm1(d) - d); // ≥ 0 exactly; max() only drops rounding
      tokens++;
    });
  });
  if (tokens === 0) return null;
  return { tokens, rowsWithout, meanAbs: sumAbs / tokens, maxAbs, kl: sumK3 / tokens };
}

/** The truncated importance ratios of a batch and what they did. */
export interface TruncatedImportanceRatios {
  /** Per row, the ratio of each token; undefined for rows without sampler log-probs (ratio 1). */
  readonly ratios: readonly (readonly number[] | undefined)[];
  /** Tokens with a ratio (rows with sampler log-probs). */
  readonly tokens: number;
  /** Tokens whose raw ratio exceeded the cap. */
  readonly clippedTokens: number;
  /** Mean of the capped ratios over `tokens` (1 when there are none). */
  readonly meanRatio: number;
  /** Rows without sampler log-probs, trained with ratio 1. */
  readonly rowsWithout: number;
}

/**
 * Truncated importance sampling ratios (pure): w_t = min(exp(ℓ_trainer − ℓ_sampler), cap), the
 * form of verl's `tis_imp_ratio_cap` (`core_algos.py`: exp(old_log_prob − rollout_log_probs)
 * clamped at the cap, multiplying the per-token policy loss) and of TRL's GRPO
 * `vllm_importance_sampling_correction` (exp(old − sampling log-probs) clamped at
 * `vllm_importance_sampling_cap`). Here ℓ_trainer is the log-prob under the weights being trained,
 * which is θ_old because the trainer takes one update per batch. A token whose difference is not a
 * number (both log-probs −∞) gets ratio 1.
 */
export function truncatedImportanceRatios(
  trainer: readonly (readonly number[])[],
  sampler: readonly (readonly number[] | undefined)[],
  cap: number,
): TruncatedImportanceRatios {
  let tokens = 0;
  let clippedTokens = 0;
  let sum = 0;
  let rowsWithout = 0;
  const ratios = trainer.map((row, r) => {
    const reference = sampler[r];
    if (!reference || reference.length !== row.length) {
      rowsWithout++;
      return undefined;
    }
    return row.map((l, t) => {
      const d = l - (reference[t] as number);
      const raw = Number.isNaN(d) ? 1 : Math.exp(d);
      const ratio = raw > cap ? cap : raw;
      if (raw > cap) clippedTokens++;
      sum += ratio;
      tokens++;
      return ratio;
    });
  });
  return { ratios, tokens, clippedTokens, meanRatio: tokens === 0 ? 1 : sum / tokens, rowsWithout };
}

/**
 * Multiply each token's loss gradient by its (detached) ratio: the gradient of Σ_t sg(w_t)·loss_t
 * for a loss that is a sum over tokens. Rows without ratios keep their gradient as it is (the same
 * numbers, so ratio 1 everywhere leaves it bit-identical).
 */
export function weightGradient(
  gradient: readonly (readonly number[])[],
  ratios: readonly (readonly number[] | undefined)[],
): number[][] {
  return gradient.map((row, r) => {
    const w = ratios[r];
    return w ? row.map((g, t) => g * (w[t] ?? 1)) : [...row];
  });
}
