import type { ObjectiveResult, ObjectiveRow } from '@oreal-ts/core';
import { isCorrect } from './filter-groups';
import { checkRows } from './rows';

/**
 * Rejection-sampling fine-tuning (RFT; Yuan et al. 2023): the token-mean negative log-likelihood
 * of the correct rows, `L = −(1/N₊) Σ_{i∈pos} Σ_t ℓ_t`, `∂L/∂ℓ_t = −1/N₊` on positive rows and 0 on
 * the others (rows with reward ≤ 0 are ignored, so the loss is safe on unfiltered batches).
 *
 * Shapes: rows `[R]` with `[T_i]` tokens → gradient `[R][T_i]`.
 */
export function rftLoss(rows: readonly ObjectiveRow[]): ObjectiveResult {
  checkRows(rows);
  const tokensPositive = rows.reduce((s, r) => s + (isCorrect(r.reward) ? r.logProbs.length : 0), 0);
  const scale = tokensPositive > 0 ? 1 / tokensPositive : 0;
  let loss = 0;
  const gradient = rows.map((row) =>
    row.logProbs.map((logProb) => {
      if (!isCorrect(row.reward)) return 0;
      loss += -scale * logProb;
      return -scale;
    }),
  );
  return { loss, gradient, parts: { nll: loss, tokensPositive, rows: rows.length } };
}
