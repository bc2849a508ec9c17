import { InvalidArgumentError } from '@oreal-ts/core';
import type { LossWithGradient, PerTokenValues } from '@oreal-ts/core';

/** `log(1 + e^z)` without overflow. */
export function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

/** The logistic function σ(z) = 1 / (1 + e^{−z}), stable for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * The token reward model's training loss (oreal-method.md, "Token-level reward model"): the
 * sequence logit is the mean token score `z_i = (1/T_i) Σ_t s_{i,t}`, and the loss is the binary
 * cross-entropy with logits against `y_i = 1[r_i > 0]`, averaged over sequences:
 *
 *     L = (1/B) Σ_i [softplus(z_i) − y_i z_i],     ∂L/∂s_{i,t} = (σ(z_i) − y_i) / (B · T_i)
 *
 * Rows with no response token have no logit: they are skipped and not counted in B (chosen: an
 * empty response carries no token to score). `parts.accuracy` is the fraction of counted rows
 * whose logit has the outcome's sign (z > 0 for positives, z < 0 for negatives; z = 0 is wrong).
 *
 * Shapes: scores `[B][T_i]`, positive `[B]` → gradient `[B][T_i]`.
 */
export function sequenceBce(scores: PerTokenValues, positive: readonly boolean[]): LossWithGradient {
  if (positive.length !== scores.length) {
    throw new InvalidArgumentError('positive', `expected one label per row (${scores.length}), got ${positive.length}`);
  }
  const counted = scores.filter((row) => row.length > 0).length;
  let loss = 0;
  let correct = 0;
  let logitSum = 0;
  const gradient = scores.map((row, i) => {
    if (row.length === 0) return [];
    const label = positive[i] ? 1 : 0;
    let sum = 0;
    row.forEach((s, t) => {
      if (!Number.isFinite(s)) throw new InvalidArgumentError(`scores[${i}][${t}]`, `must be finite, got ${s}`);
      sum += s;
    });
    const logit = sum / row.length; // z_i
    logitSum += logit;
    loss += (softplus(logit) - label * logit) / counted;
    if (label === 1 ? logit > 0 : logit < 0) correct++;
    const g = (sigmoid(logit) - label) / (counted * row.length);
    return row.map(() => g);
  });
  return {
    loss,
    gradient,
    parts: { bce: loss, accuracy: counted > 0 ? correct / counted : 0, sequences: counted, meanLogit: counted > 0 ? logitSum / counted : 0 },
  };
}
