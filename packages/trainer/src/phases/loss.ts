import type { Objective, ObjectiveRow, TokenBatch, TrainablePolicy } from '@oreal-ts/core';
import type { TrainingRow } from './select';
import type { WeighTokensOutput } from './weigh-tokens';

/** Input of the loss phase: the selected rows, their batch and the weigh-tokens phase's inputs. */
export interface LossInput {
  readonly policy: TrainablePolicy;
  readonly objective: Objective;
  readonly rows: readonly TrainingRow[];
  readonly batch: TokenBatch;
  readonly weights: WeighTokensOutput;
}

/** Output of the loss phase: the objective's value, its per-token gradient, parts and the KL estimate. */
export interface LossOutput {
  readonly loss: number;
  readonly gradient: readonly (readonly number[])[];
  readonly parts: Readonly<Record<string, number>> | null;
  /** Mean k3 KL(π_θ ‖ π_ref) over all tokens; null without reference log-probs. */
  readonly kl: number | null;
}

/**
 * Loss phase: evaluate the objective on the policy's log-probs and accumulate its gradient in the
 * policy (no optimiser step). Loss parts come back with their keys sorted.
 */
export async function lossPhase(input: LossInput): Promise<LossOutput> {
  const { policy, objective, rows, batch } = input;
  const { referenceLogProbs, oldLogProbs, tokenWeights } = input.weights;
  let kl: number | null = null;
  const result = await policy.accumulateGradients(batch, (values) => {
    const objectiveRows: ObjectiveRow[] = rows.map((row, index) => ({
      reward: row.choice.reward,
      advantage: row.choice.advantage,
      logProbs: values[index] ?? [],
      ...(referenceLogProbs ? { referenceLogProbs: referenceLogProbs[index] ?? [] } : {}),
      ...(oldLogProbs ? { oldLogProbs: oldLogProbs[index] ?? [] } : {}),
      ...(tokenWeights ? { tokenWeights: tokenWeights[index] ?? [] } : {}),
    }));
    if (referenceLogProbs) kl = meanK3(values, referenceLogProbs);
    const computed = objective.compute(objectiveRows);
    return { loss: computed.loss, gradient: computed.gradient, parts: computed.parts };
  });
  return {
    loss: result.loss,
    gradient: result.gradient,
    parts: result.parts ? sortKeys(result.parts) : null,
    kl,
  };
}

/** Mean k3 estimate of KL(π_θ ‖ π_ref) over all tokens: e^{d} − d − 1 with d = ℓʳ − ℓ (oreal-method.md step 6). */
export function meanK3(
  logProbs: readonly (readonly number[])[],
  referenceLogProbs: readonly (readonly number[])[],
): number {
  let sum = 0;
  let count = 0;
  logProbs.forEach((row, r) =>
    row.forEach((l, t) => {
      const d = (referenceLogProbs[r]?.[t] ?? l) - l;
      sum += Math.exp(d) - d - 1;
      count++;
    }),
  );
  return count === 0 ? 0 : sum / count;
}

function sortKeys(record: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
