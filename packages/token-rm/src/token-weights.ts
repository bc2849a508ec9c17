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
   * c₊ (reference `correct_threshold`): ω⁺ = clamp((q − c₊)/(1 − c₊), 0, 1). Default 0.5, which
   * gives oreal-method.md's ω⁺ = clamp(2q − 1, 0, 1).
   */
  readonly positiveThreshold?: number;
  /**
   * c₋ (reference `incorrect_threshold`), in the reference's meaning: the rescale is applied to the
   * probability of failure 1 − q, ω⁻ = clamp(((1 − q) − c₋)/(1 − c₋), 0, 1). Default 0.5, which
   * gives ω⁻ = clamp(1 − 2q, 0, 1); 0 gives the soft weight ω⁻ = 1 − q.
   * (Before issue 16 this field meant 1 − c₋; an old value v is the new value 1 − v.)
   */
  readonly negativeThreshold?: number;
  /** Optional top-k rescale (see `topKRescale`); off by default, as in the reference configs. */
  readonly topKRescale?: TopKRescaleOptions;
}

/**
 * Which top-k rescale:
 * - `reference` (default): the reference's `topk_rescale` — on the RAW probabilities (q on positive
 *   rows, 1 − q on negative rows; the thresholds are not applied), keep the k = ⌊ratio·T⌋ largest,
 *   min-max normalise them over the sequence, 0 elsewhere (see `referenceTopKRescale`);
 * - `sum-preserving`: this project's earlier variant — on the threshold weights, keep the
 *   ⌈ratio·T⌉ largest and scale them to sum to T (see `topKRescale`). A departure from the reference.
 */
export type TopKRescaleMode = 'reference' | 'sum-preserving';

/** Options of the top-k rescale: the fraction of each sequence's tokens that keep a weight. */
export interface TopKRescaleOptions {
  /** Fraction of a positive sequence's tokens kept, in (0, 1]. Reference (commented out): 0.25. */
  readonly positiveRatio: number;
  /** Fraction of a negative sequence's tokens kept, in (0, 1]. Reference (commented out): 0.25. */
  readonly negativeRatio: number;
  /** Which rescale; default `reference`. */
  readonly mode?: TopKRescaleMode;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

function checkRatio(ratio: number): void {
  if (!(ratio > 0 && ratio <= 1)) throw new InvalidArgumentError('ratio', `must be in (0, 1], got ${ratio}`);
}

/** Indices of the k largest values (ties: earlier token first). */
function topIndices(values: readonly number[], k: number): Set<number> {
  const order = values.map((v, t) => ({ v, t })).sort((a, b) => b.v - a.v || a.t - b.t);
  return new Set(order.slice(0, k).map((e) => e.t));
}

/**
 * The reference's top-k rescale of one sequence's raw probabilities `[T]` (q_t on a positive row,
 * 1 − q_t on a negative one): keep the k = ⌊ratio·T⌋ largest (ties: earlier token first), give each
 * kept token (p_t − min_u p_u)/(max_u p_u − min_u p_u) with min/max over the sequence, and 0 to the
 * others. With k = 0 (short sequences) every weight is 0. When every p is equal (max = min) the
 * min-max normalisation is undefined; here the kept tokens then get 1 (a documented choice; the
 * reference's exact handling is not in oreal-method.md).
 */
export function referenceTopKRescale(probabilities: readonly number[], ratio: number): number[] {
  checkRatio(ratio);
  const length = probabilities.length;
  const k = Math.floor(ratio * length);
  if (k === 0) return probabilities.map(() => 0);
  const kept = topIndices(probabilities, k);
  const min = Math.min(...probabilities);
  const max = Math.max(...probabilities);
  const range = max - min;
  return probabilities.map((p, t) => (kept.has(t) ? (range > 0 ? (p - min) / range : 1) : 0));
}

/**
 * The `sum-preserving` top-k rescale of one sequence's threshold weights `[T]` (a departure from the
 * reference, kept as a named option): keep the k = ⌈ratio·T⌉ largest weights (ties: earlier token
 * first), set the others to 0, and scale the kept ones so that the sequence's weights sum to T — the
 * total weight of ω ≡ 1, so the loss scale does not depend on the ratio. If the kept weights sum to
 * 0 the sequence stays all zero (nothing to rescale).
 */
export function topKRescale(weights: readonly number[], ratio: number): number[] {
  checkRatio(ratio);
  const length = weights.length;
  if (length === 0) return [];
  const k = Math.min(length, Math.max(1, Math.ceil(ratio * length)));
  const kept = topIndices(weights, k);
  const keptSum = weights.reduce((s, w, t) => (kept.has(t) ? s + w : s), 0);
  if (!(keptSum > 0)) return weights.map(() => 0);
  return weights.map((w, t) => (kept.has(t) ? (w * length) / keptSum : 0));
}

/**
 * Detached token weights from token scores (oreal-method.md): q = prefixMeanSigmoid(s), then
 * ω⁺ = clamp((q − c₊)/(1 − c₊), 0, 1) on positive rows and ω⁻ = clamp(((1 − q) − c₋)/(1 − c₋), 0, 1)
 * on negative rows (the reference's threshold rescale; 2q − 1 and 1 − 2q at the defaults), or, with
 * `topKRescale`, the chosen top-k rescale.
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
  if (!(cMinus >= 0 && cMinus < 1)) throw new InvalidArgumentError('negativeThreshold', `must be in [0, 1), got ${cMinus}`);
  const topK = options.topKRescale;
  return prefixMeanSigmoid(scores).map((row, i) => {
    const isPositive = positive[i] === true;
    // The probability the row's outcome is read from: success on positives, failure on negatives.
    const probabilities = isPositive ? row : row.map((q) => 1 - q);
    if (topK && (topK.mode ?? 'reference') === 'reference') {
      return referenceTopKRescale(probabilities, isPositive ? topK.positiveRatio : topK.negativeRatio);
    }
    const threshold = isPositive ? cPlus : cMinus;
    const weights = probabilities.map((p) => clamp01((p - threshold) / (1 - threshold)));
    if (!topK) return weights;
    return topKRescale(weights, isPositive ? topK.positiveRatio : topK.negativeRatio);
  });
}
