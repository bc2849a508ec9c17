import type { ObjectiveResult, ObjectiveRow } from '@oreal-ts/core';
import { isCorrect } from './filter-groups';
import { checkRows, k3Divergence, tokenWeight } from './rows';

/** The constants of the OREAL loss (oreal-method.md, step 6). */
export interface OrealLossOptions {
  /** λ₊, factor of the positive (behaviour-cloning) term. Reference `positive_loss_factor` = 1.0. */
  readonly positiveLossFactor: number;
  /** λ₋, factor of the negative term. Reference `negative_loss_factor` = 0.5. */
  readonly negativeLossFactor: number;
  /** β, factor of the k3 KL to the frozen reference. Reference `kl_coef` = 0.01. */
  readonly klCoefficient: number;
  /** Multiply the positive term by A_i (reference `pos_mult_adv` = True); off: weight 1. */
  readonly multiplyPositiveByAdvantage: boolean;
}

/** The reference values of `OrealLossOptions`. */
export const OREAL_LOSS_DEFAULTS: Readonly<OrealLossOptions> = Object.freeze({
  positiveLossFactor: 1.0,
  negativeLossFactor: 0.5,
  klCoefficient: 0.01,
  multiplyPositiveByAdvantage: true,
});

/**
 * The OREAL loss (oreal-method.md, step 6), minimised, and its gradient with respect to every ℓ_t:
 *
 *     L = (λ₊/N₊) Σ_{i∈pos} A_i Σ_t ω⁺_t (−ℓ_t)
 *       + (λ₋/N₋) Σ_{i∈neg} |A_i| Σ_t ω⁻_t exp(ℓ_t − sg(ℓ_t))
 *       + (β/N_all) Σ_{i,t} (e^{d_t} − d_t − 1),   d_t = ℓʳ_t − ℓ_t
 *
 *     ∂L/∂ℓ_t = −(λ₊/N₊) A_i ω⁺_t          (positive rows, A_i → 1 without multiplyPositiveByAdvantage)
 *             + (λ₋/N₋) |A_i| ω⁻_t exp(ℓ_t − sg(ℓ_t))   (negative rows; the exp is 1 at sg(ℓ) = ℓ)
 *             + (β/N_all) (1 − e^{d_t})     (every row)
 *
 * A row is positive when its reward is > 0. N₊/N₋ are the response-token counts of the positive
 * and negative rows of THIS call (the step's filtered batch: pass the whole batch in one call, or
 * the per-call normalisers change); a term whose rows are absent contributes 0. ω is the row's
 * `tokenWeights` (1 when absent). `stopGradientLogProbs` are the values sg(ℓ) of the negative term
 * (default: `logProbs` themselves, which is what a model's forward pass gives); tests pass other
 * values to check the gradient by finite differences with sg(ℓ) held fixed.
 *
 * Shapes: rows `[R]` with per-token arrays `[T_i]` → gradient `[R][T_i]`.
 */
export function orealLoss(
  rows: readonly ObjectiveRow[],
  options: OrealLossOptions = OREAL_LOSS_DEFAULTS,
  stopGradientLogProbs?: readonly (readonly number[])[],
): ObjectiveResult {
  const { positiveLossFactor, negativeLossFactor, klCoefficient, multiplyPositiveByAdvantage } = options;
  checkRows(rows, { referenceLogProbs: klCoefficient !== 0 });
  let tokensPositive = 0;
  let tokensNegative = 0;
  let rowsPositive = 0;
  for (const row of rows) {
    if (isCorrect(row.reward)) {
      tokensPositive += row.logProbs.length;
      rowsPositive++;
    } else tokensNegative += row.logProbs.length;
  }
  const tokensAll = tokensPositive + tokensNegative;
  const positiveScale = tokensPositive > 0 ? positiveLossFactor / tokensPositive : 0;
  const negativeScale = tokensNegative > 0 ? negativeLossFactor / tokensNegative : 0;
  const klScale = tokensAll > 0 ? klCoefficient / tokensAll : 0;

  let positive = 0;
  let negative = 0;
  let klSum = 0;
  let weightSumPositive = 0;
  let weightSumNegative = 0;
  const gradient = rows.map((row, i) => {
    const positiveRow = isCorrect(row.reward);
    const rowFactor = positiveRow ? (multiplyPositiveByAdvantage ? row.advantage : 1) : Math.abs(row.advantage);
    const detached = stopGradientLogProbs?.[i] ?? row.logProbs;
    return row.logProbs.map((logProb, t) => {
      const weight = tokenWeight(row, t);
      let g: number;
      if (positiveRow) {
        weightSumPositive += weight;
        positive += positiveScale * rowFactor * weight * -logProb;
        g = -positiveScale * rowFactor * weight;
      } else {
        weightSumNegative += weight;
        const surrogate = Math.exp(logProb - (detached[t] as number)); // value 1 when sg(ℓ) = ℓ
        negative += negativeScale * rowFactor * weight * surrogate;
        g = negativeScale * rowFactor * weight * surrogate;
      }
      if (row.referenceLogProbs) {
        // Measured whenever reference log-probs are given (for logging); enters the loss only when β ≠ 0.
        const kl = k3Divergence(logProb, row.referenceLogProbs[t] as number);
        klSum += kl.value;
        g += klScale * kl.gradient;
      }
      return g;
    });
  });
  const kl = klScale * klSum;
  return {
    loss: positive + negative + kl,
    gradient,
    parts: {
      positive,
      negative,
      kl,
      klMean: tokensAll > 0 ? klSum / tokensAll : 0, // unscaled mean k3 per token
      tokensPositive,
      tokensNegative,
      tokensAll,
      rowsPositive,
      rowsNegative: rows.length - rowsPositive,
      meanWeightPositive: tokensPositive > 0 ? weightSumPositive / tokensPositive : 0,
      meanWeightNegative: tokensNegative > 0 ? weightSumNegative / tokensNegative : 0,
    },
  };
}
