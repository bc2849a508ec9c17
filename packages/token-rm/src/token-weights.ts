import { InvalidArgumentError } from '@oreal-ts/core';
import type { PerTokenValues } from '@oreal-ts/core';
import { sigmoid } from './sequence-bce';

/**
 * `q_t = σ(mean_{u≤t} s_u)`, the probability of success read from the prefix mean of the token
 * scores (oreal-method.md). Shapes: scores `[B][T_i]` → q `[B][T_i]`.
 */
export function prefixMeanSigmoid(scores: PerTokenValues): PerTokenValues {
  return scores.map((row) => {
    let sum = 0;
    return row.map((s, t) => {
      sum += s;
      return sigmoid(sum / (t + 1));
    });
  });
}

/** Options of `tokenWeightsFromScores`. */
export interface TokenWeightOptions {
  /**
   * c₊: ω⁺ = clamp((q − c₊)/(1 − c₊), 0, 1). Default 0.5 (reference `correct_threshold`), which
   * gives oreal-method.md's ω⁺ = clamp(2q − 1, 0, 1).
   */
  readonly positiveThreshold?: number;
  /**
   * c₋: ω⁻ = clamp((c₋ − q)/c₋, 0, 1). Default 0.5 (reference `incorrect_threshold`), which
   * gives ω⁻ = clamp(1 − 2q, 0, 1).
   */
  readonly negativeThreshold?: number;
  /** Optional top-k rescale (see `topKRescale`); off by default, as in the reference configs. */
  readonly topKRescale?: TopKRescaleOptions;
}

/** Options of the top-k rescale: the fraction of each sequence's tokens that keep a weight. */
export interface TopKRescaleOptions {
  /** Fraction of a positive sequence's tokens kept, in (0, 1]. Reference (commented out): 0.25. */
  readonly positiveRatio: number;
  /** Fraction of a negative sequence's tokens kept, in (0, 1]. Reference (commented out): 0.25. */
  readonly negativeRatio: number;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * Top-k rescale of one sequence's weights `[T]` (the reference has a `topk_rescale` switch with
 * `*_topk_ratio = 0.25`, whose exact definition is not in oreal-method.md; this is the one chosen
 * here): keep the k = ⌈ratio·T⌉ largest weights (ties: earlier token first), set the others to 0,
 * and scale the kept ones so that the sequence's weights sum to T — the total weight of ω ≡ 1, so
 * the loss scale does not depend on the ratio. If the kept weights sum to 0 the sequence stays all
 * zero (nothing to rescale).
 */
export function topKRescale(weights: readonly number[], ratio: number): number[] {
  if (!(ratio > 0 && ratio <= 1)) throw new InvalidArgumentError('ratio', `must be in (0, 1], got ${ratio}`);
  const length = weights.length;
  if (length === 0) return [];
  const k = Math.min(length, Math.max(1, Math.ceil(ratio * length)));
  const order = weights.map((w, t) => ({ w, t })).sort((a, b) => b.w - a.w || a.t - b.t);
  const kept = new Set(order.slice(0, k).map((e) => e.t));
  const keptSum = order.slice(0, k).reduce((s, e) => s + e.w, 0);
  if (!(keptSum > 0)) return weights.map(() => 0);
  return weights.map((w, t) => (kept.has(t) ? (w * length) / keptSum : 0));
}

/**
 * Detached token weights from token scores (oreal-method.md): q = prefixMeanSigmoid(s), then
 * ω⁺ = clamp(2q − 1, 0, 1) on positive rows and ω⁻ = clamp(1 − 2q, 0, 1) on negative rows (with
 * the default thresholds), then the optional top-k rescale.
 *
 * Shapes: scores `[B][T_i]`, positive `[B]` → weights `[B][T_i]`.
 */
export function tokenWeightsFromScores(
  scores: PerTokenValues,
  positive: readonly boolean[],
  options: TokenWeightOptions = {},
): PerTokenValues {
  if (positive.length !== scores.length) {
    throw new InvalidArgumentError('positive', `expected one label per row (${scores.length}), got ${positive.length}`);
  }
  const cPlus = options.positiveThreshold ?? 0.5;
  const cMinus = options.negativeThreshold ?? 0.5;
  if (!(cPlus >= 0 && cPlus < 1)) throw new InvalidArgumentError('positiveThreshold', `must be in [0, 1), got ${cPlus}`);
  if (!(cMinus > 0 && cMinus <= 1)) throw new InvalidArgumentError('negativeThreshold', `must be in (0, 1], got ${cMinus}`);
  return prefixMeanSigmoid(scores).map((row, i) => {
    const weights = positive[i]
      ? row.map((q) => clamp01((q - cPlus) / (1 - cPlus)))
      : row.map((q) => clamp01((cMinus - q) / cMinus));
    if (!options.topKRescale) return weights;
    return topKRescale(weights, positive[i] ? options.topKRescale.positiveRatio : options.topKRescale.negativeRatio);
  });
}
