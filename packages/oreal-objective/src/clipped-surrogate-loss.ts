import type { ObjectiveResult, ObjectiveRow } from '@oreal-ts/core';
import { aggregationScales, type LossAggregation } from './policy-gradient-loss';
import { checkRows, KlPenalty } from './rows';

/** Options of `clippedSurrogateLoss`. */
export interface ClippedSurrogateLossOptions {
  /** ε_low: the ratio is clipped below at 1 − ε_low. */
  readonly clipLow: number;
  /** ε_high: the ratio is clipped above at 1 + ε_high (DAPO "clip-higher" when > ε_low). */
  readonly clipHigh: number;
  readonly aggregation: LossAggregation;
  /** Used by the `constant` aggregation only (Dr. GRPO: the generation budget in tokens). */
  readonly constantNormalizer: number;
  /** β of the k3 KL to the reference, added per token before aggregation (GRPO). */
  readonly klCoefficient: number;
}

/**
 * The PPO/GRPO clipped surrogate (Schulman et al. 2017; Shao et al. 2024), per token:
 *
 *     ρ_t = exp(ℓ_t − ℓᵒˡᵈ_t)
 *     loss_t = −min(ρ_t A_i, clip(ρ_t, 1 − ε_low, 1 + ε_high) A_i) + β k3_t
 *     ∂loss_t/∂ℓ_t = −A_i ρ_t when the unclipped term is the minimum, else 0; plus β (1 − e^{d_t})
 *
 * aggregated as chosen. ℓᵒˡᵈ are the row's `oldLogProbs` (constants); a row without them is
 * treated as on-policy, ℓᵒˡᵈ = sg(ℓ) (ratio 1, gradient −A_i), which is the case with one optimiser
 * step per RL step. `stopGradientLogProbs` overrides that sg(ℓ) (finite-difference tests).
 *
 * Shapes: rows `[R]` with `[T_i]` tokens → gradient `[R][T_i]`.
 */
export function clippedSurrogateLoss(
  rows: readonly ObjectiveRow[],
  options: ClippedSurrogateLossOptions,
  stopGradientLogProbs?: readonly (readonly number[])[],
): ObjectiveResult {
  checkRows(rows, { referenceLogProbs: options.klCoefficient !== 0 });
  const scales = aggregationScales(rows, options.aggregation, options.constantNormalizer);
  const low = 1 - options.clipLow;
  const high = 1 + options.clipHigh;
  let policy = 0;
  const kl = new KlPenalty(options.klCoefficient);
  let tokens = 0;
  let clipped = 0;
  let ratioSum = 0;
  const gradient = rows.map((row, i) => {
    const scale = scales[i] as number;
    const old = row.oldLogProbs ?? stopGradientLogProbs?.[i] ?? row.logProbs;
    const advantage = row.advantage;
    return row.logProbs.map((logProb, t) => {
      tokens++;
      const ratio = Math.exp(logProb - (old[t] as number));
      ratioSum += ratio;
      const unclippedTerm = ratio * advantage;
      const clippedTerm = Math.min(Math.max(ratio, low), high) * advantage;
      let g: number;
      if (unclippedTerm <= clippedTerm) {
        policy += scale * -unclippedTerm;
        g = -scale * advantage * ratio;
      } else {
        policy += scale * -clippedTerm;
        clipped++;
        g = 0;
      }
      return g + kl.add(scale, logProb, row.referenceLogProbs?.[t]);
    });
  });
  return {
    loss: policy + kl.total,
    gradient,
    parts: {
      policy,
      kl: kl.total,
      klMean: kl.mean(tokens),
      clipFraction: tokens > 0 ? clipped / tokens : 0,
      meanRatio: tokens > 0 ? ratioSum / tokens : 0,
      tokens,
      rows: rows.length,
    },
  };
}
