import { InvalidArgumentError } from './errors';

/**
 * Credit-assignment diagnostics of a token reward model (issue 16): how much of a wrong rollout's
 * ω⁻ mass falls on its first wrong token and after it, against a uniform spread, and the model's
 * sequence-level accuracy and ROC AUC. Pure functions over plain numbers.
 */

/** ω⁻ mass shares of one negative rollout given the index of its first wrong token. */
export interface NegativeMassShare {
  /** Σ_{t = m} ω⁻_t / Σ_t ω⁻_t (the first wrong token alone). */
  readonly onMarker: number;
  /** Σ_{t ≥ m} ω⁻_t / Σ_t ω⁻_t. */
  readonly atOrAfterMarker: number;
  /** What ω ≡ 1 gives: 1/T on the marker, (T − m)/T at or after it. */
  readonly uniformOnMarker: number;
  readonly uniformAtOrAfterMarker: number;
}

/**
 * Shares of one negative rollout's ω⁻ mass (`weights` `[T]`) on and after its first wrong token
 * `marker` (0 ≤ marker < T). Null when the weights sum to 0 (no mass to share out).
 */
export function negativeMassShare(weights: readonly number[], marker: number): NegativeMassShare | null {
  const length = weights.length;
  if (!(Number.isInteger(marker) && marker >= 0 && marker < length)) {
    throw new InvalidArgumentError('marker', `must be an integer token index in [0, ${length}), got ${marker}`);
  }
  let total = 0;
  let after = 0;
  weights.forEach((w, t) => {
    if (!(w >= 0 && Number.isFinite(w))) throw new InvalidArgumentError(`weights[${t}]`, `must be finite and ≥ 0, got ${w}`);
    total += w;
    if (t >= marker) after += w;
  });
  if (!(total > 0)) return null;
  return {
    onMarker: (weights[marker] as number) / total,
    atOrAfterMarker: after / total,
    uniformOnMarker: 1 / length,
    uniformAtOrAfterMarker: (length - marker) / length,
  };
}

/** Mean shares over a batch of negative rollouts (those with mass), and how many had none. */
export interface NegativeMassSummary extends NegativeMassShare {
  /** Rollouts that entered the means. */
  readonly rollouts: number;
  /** Rollouts skipped because their ω⁻ summed to 0. */
  readonly withoutMass: number;
}

/**
 * Mean of `negativeMassShare` over negative rollouts `[B][T_i]` with markers `[B]` (a rollout
 * weighs the same whatever its length). Null when no rollout has mass.
 */
export function summariseNegativeMass(weights: readonly (readonly number[])[], markers: readonly number[]): NegativeMassSummary | null {
  if (markers.length !== weights.length) {
    throw new InvalidArgumentError('markers', `expected one marker per rollout (${weights.length}), got ${markers.length}`);
  }
  const shares = weights.map((w, i) => negativeMassShare(w, markers[i] as number)).filter((s): s is NegativeMassShare => s !== null);
  if (shares.length === 0) return null;
  const mean = (f: (s: NegativeMassShare) => number) => shares.reduce((sum, s) => sum + f(s), 0) / shares.length;
  return {
    onMarker: mean((s) => s.onMarker),
    atOrAfterMarker: mean((s) => s.atOrAfterMarker),
    uniformOnMarker: mean((s) => s.uniformOnMarker),
    uniformAtOrAfterMarker: mean((s) => s.uniformAtOrAfterMarker),
    rollouts: shares.length,
    withoutMass: weights.length - shares.length,
  };
}

function checkPairs(scores: readonly number[], labels: readonly boolean[]): void {
  if (scores.length !== labels.length) {
    throw new InvalidArgumentError('labels', `expected one label per score (${scores.length}), got ${labels.length}`);
  }
  scores.forEach((s, i) => {
    if (!Number.isFinite(s)) throw new InvalidArgumentError(`scores[${i}]`, `must be finite, got ${s}`);
  });
}

/** Share of sequences whose logit sign matches the label (logit > 0 ⇔ correct). Null for no sequences. */
export function logitAccuracy(logits: readonly number[], labels: readonly boolean[]): number | null {
  checkPairs(logits, labels);
  if (logits.length === 0) return null;
  return logits.reduce((n, s, i) => n + ((s > 0) === labels[i] ? 1 : 0), 0) / logits.length;
}

/**
 * ROC AUC of `scores` for `labels` (P(score of a random positive > score of a random negative),
 * ties count ½; the Mann–Whitney U / (n₊ n₋)). Null when either class is absent. O(n log n).
 */
export function rocAuc(scores: readonly number[], labels: readonly boolean[]): number | null {
  checkPairs(scores, labels);
  const positives = labels.filter(Boolean).length;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return null;
  const order = scores.map((s, i) => ({ s, positive: labels[i] === true })).sort((a, b) => a.s - b.s);
  // mid-ranks (1-based) with ties averaged
  let rankSumPositive = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && (order[j + 1] as { s: number }).s === (order[i] as { s: number }).s) j++;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if ((order[k] as { positive: boolean }).positive) rankSumPositive += midRank;
    i = j + 1;
  }
  return (rankSumPositive - (positives * (positives + 1)) / 2) / (positives * negatives);
}
