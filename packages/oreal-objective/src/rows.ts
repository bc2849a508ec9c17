import { InvalidArgumentError } from '@oreal-ts/core';
import type { ObjectiveRow } from '@oreal-ts/core';

/** Which optional per-token arrays a loss reads and therefore must find on every row. */
export interface RowNeeds {
  readonly referenceLogProbs?: boolean;
  readonly oldLogProbs?: boolean;
}

function checkArray(values: readonly number[], where: string, length: number): void {
  if (values.length !== length) {
    throw new InvalidArgumentError(where, `has ${values.length} values but the response has ${length} tokens`);
  }
  values.forEach((v, t) => {
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`${where}[${t}]`, `must be finite, got ${v}`);
  });
}

/** Check every row's per-token arrays against its `logProbs` length; throws `InvalidArgumentError`. */
export function checkRows(rows: readonly ObjectiveRow[], needs: RowNeeds = {}): void {
  rows.forEach((row, i) => {
    const length = row.logProbs.length;
    checkArray(row.logProbs, `rows[${i}].logProbs`, length);
    if (!Number.isFinite(row.advantage)) throw new InvalidArgumentError(`rows[${i}].advantage`, `must be finite, got ${row.advantage}`);
    if (!Number.isFinite(row.reward)) throw new InvalidArgumentError(`rows[${i}].reward`, `must be finite, got ${row.reward}`);
    if (row.tokenWeights) checkArray(row.tokenWeights, `rows[${i}].tokenWeights`, length);
    if (row.oldLogProbs) checkArray(row.oldLogProbs, `rows[${i}].oldLogProbs`, length);
    else if (needs.oldLogProbs) {
      throw new InvalidArgumentError(`rows[${i}].oldLogProbs`, 'is required by this objective; pass the behaviour policy log-probs');
    }
    if (row.referenceLogProbs) checkArray(row.referenceLogProbs, `rows[${i}].referenceLogProbs`, length);
    else if (needs.referenceLogProbs) {
      throw new InvalidArgumentError(
        `rows[${i}].referenceLogProbs`,
        'is required when the KL coefficient is > 0; pass the frozen reference policy log-probs or set the KL coefficient to 0',
      );
    }
  });
}

/** Token weight ω_t of a row (1 when the row has no weights). */
export function tokenWeight(row: ObjectiveRow, t: number): number {
  return row.tokenWeights ? (row.tokenWeights[t] as number) : 1;
}

/**
 * The k3 estimator of KL(π_θ ‖ π_ref) at one token (Schulman 2020): `k3 = e^d − d − 1` with
 * `d = ℓʳ − ℓ`, and its derivative with respect to ℓ: `∂k3/∂ℓ = 1 − e^d`.
 */
export function k3Divergence(logProb: number, referenceLogProb: number): { value: number; gradient: number } {
  const d = referenceLogProb - logProb;
  const ed = Math.exp(d);
  return { value: ed - d - 1, gradient: 1 - ed };
}

/**
 * The KL penalty of a per-token loss, Σ_t scale_t·β·k3(ℓ_t, ℓ_ref,t), accumulated token by token.
 * Tokens of rows without reference log-probs add nothing.
 */
export class KlPenalty {
  /** Σ scale·β·k3: the loss term. */
  total = 0;
  /** Σ k3 (unscaled), for the mean per token. */
  private valueSum = 0;

  constructor(private readonly coefficient: number) {}

  /** Add one token; returns its gradient contribution ∂(scale·β·k3)/∂ℓ (0 without a reference). */
  add(scale: number, logProb: number, referenceLogProb: number | undefined): number {
    if (referenceLogProb === undefined) return 0;
    const k3 = k3Divergence(logProb, referenceLogProb);
    this.valueSum += k3.value;
    this.total += scale * this.coefficient * k3.value;
    return scale * this.coefficient * k3.gradient;
  }

  /** Unscaled mean k3 over `tokens` tokens (0 when there are none). */
  mean(tokens: number): number {
    return tokens > 0 ? this.valueSum / tokens : 0;
  }
}
