import type { ObjectiveResult, ObjectiveRow } from '@oreal-ts/core';
import { checkRows, KlPenalty } from './rows';

/**
 * How per-token terms are summed and normalised:
 * - `sequence-sum`: Σ_t over each response, mean over rows — REINFORCE's ∇log π(y) = Σ_t ∇ℓ_t;
 * - `token-mean`: Σ over all tokens of all rows / total token count (DAPO, verl `token-mean`,
 *   TRL `loss_type="dapo"`);
 * - `sequence-mean`: mean over each response's tokens, then mean over rows (original GRPO,
 *   TRL `loss_type="grpo"`);
 * - `constant`: Σ over all tokens / (rows × a constant), the constant being the generation budget
 *   (Dr. GRPO, TRL `loss_type="dr_grpo"`).
 */
export type LossAggregation = 'sequence-sum' | 'token-mean' | 'sequence-mean' | 'constant';

/**
 * Per-row, per-token scale of each summed term for an aggregation. Shapes: rows `[R]` → `[R]`
 * (one scale per row, the same for all its tokens).
 */
export function aggregationScales(
  rows: readonly ObjectiveRow[],
  aggregation: LossAggregation,
  constantNormalizer = 1,
): number[] {
  const rowCount = rows.length;
  if (rowCount === 0) return [];
  switch (aggregation) {
    case 'sequence-sum':
      return rows.map(() => 1 / rowCount);
    case 'token-mean': {
      const tokens = rows.reduce((s, r) => s + r.logProbs.length, 0);
      return rows.map(() => (tokens > 0 ? 1 / tokens : 0));
    }
    case 'sequence-mean':
      return rows.map((r) => (r.logProbs.length > 0 ? 1 / (rowCount * r.logProbs.length) : 0));
    case 'constant':
      return rows.map(() => 1 / (rowCount * constantNormalizer));
  }
}

/** Options of `policyGradientLoss`. */
export interface PolicyGradientLossOptions {
  readonly aggregation: LossAggregation;
  /** Used by the `constant` aggregation only. */
  readonly constantNormalizer: number;
  /** β of an optional k3 KL to the reference, added per token before aggregation. */
  readonly klCoefficient: number;
}

/**
 * The vanilla policy-gradient surrogate (REINFORCE with a baseline, RLOO; Williams 1992,
 * Ahmadian et al. 2024): per token `−A_i ℓ_t + β k3_t`, aggregated as chosen.
 * `∂/∂ℓ_t = scale_i (−A_i + β (1 − e^{d_t}))`, with d_t = ℓʳ_t − ℓ_t.
 *
 * Shapes: rows `[R]` with `[T_i]` tokens → gradient `[R][T_i]`.
 */
export function policyGradientLoss(rows: readonly ObjectiveRow[], options: PolicyGradientLossOptions): ObjectiveResult {
  checkRows(rows, { referenceLogProbs: options.klCoefficient !== 0 });
  const scales = aggregationScales(rows, options.aggregation, options.constantNormalizer);
  let policy = 0;
  const kl = new KlPenalty(options.klCoefficient);
  let tokens = 0;
  const gradient = rows.map((row, i) => {
    const scale = scales[i] as number;
    return row.logProbs.map((logProb, t) => {
      tokens++;
      policy += scale * -row.advantage * logProb;
      return -scale * row.advantage + kl.add(scale, logProb, row.referenceLogProbs?.[t]);
    });
  });
  return {
    loss: policy + kl.total,
    gradient,
    parts: { policy, kl: kl.total, klMean: kl.mean(tokens), tokens, rows: rows.length },
  };
}
