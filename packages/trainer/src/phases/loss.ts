import type { Objective, ObjectiveRow, TokenBatch, TrainablePolicy } from '@oreal-ts/core';
import {
  logProbMismatch,
  samplerLogProbsOf,
  truncatedImportanceRatios,
  weightGradient,
  type LogProbMismatch,
} from '../sampler-mismatch';
import type { TrainingRow } from './select';
import type { WeighTokensOutput } from './weigh-tokens';

/** Input of the loss phase: the selected rows, their batch and the weigh-tokens phase's inputs. */
export interface LossInput {
  readonly policy: TrainablePolicy;
  readonly objective: Objective;
  readonly rows: readonly TrainingRow[];
  readonly batch: TokenBatch;
  readonly weights: WeighTokensOutput;
  /**
   * Cap C of truncated importance sampling: each token's gradient is multiplied by
   * sg(min(exp(ℓ_trainer − ℓ_sampler), C)). Absent: off (the OREAL reference).
   */
  readonly importanceSamplingCap?: number;
}

/** What truncated importance sampling did in one loss phase. */
export interface ImportanceSamplingSummary {
  readonly cap: number;
  /** Fraction of the weighted tokens whose ratio hit the cap. */
  readonly clippedFraction: number;
  /** Mean capped ratio over the weighted tokens. */
  readonly meanRatio: number;
  /** Rows without sampler log-probs, trained with ratio 1. */
  readonly rowsWithoutLogProbs: number;
}

/** Output of the loss phase: the objective's value, its per-token gradient, parts and the KL estimate. */
export interface LossOutput {
  readonly loss: number;
  readonly gradient: readonly (readonly number[])[];
  readonly parts: Readonly<Record<string, number>> | null;
  /** Mean k3 KL(π_θ ‖ π_ref) over all tokens; null without reference log-probs. */
  readonly kl: number | null;
  /** Sampler vs trainer log-probs of the rows' tokens (null when no row carries sampler log-probs). */
  readonly mismatch?: LogProbMismatch | null;
  /** Truncated importance sampling (null when off). */
  readonly importanceSampling?: ImportanceSamplingSummary | null;
}

/**
 * Loss phase: evaluate the objective on the policy's log-probs and accumulate its gradient in the
 * policy (no optimiser step). Loss parts come back with their keys sorted. The same log-probs are
 * compared with the sampler's (no extra forward pass). With `importanceSamplingCap` each token's
 * gradient is multiplied by its truncated importance ratio — a departure from the OREAL reference;
 * the reported loss stays the objective's own value, and the ratio multiplies the whole per-token
 * gradient the objective returns (its KL term included: the Objective contract gives one gradient
 * per token, where verl and TRL weight the policy-gradient term only).
 */
export async function lossPhase(input: LossInput): Promise<LossOutput> {
  const { policy, objective, rows, batch } = input;
  const { referenceLogProbs, oldLogProbs, tokenWeights } = input.weights;
  let kl: number | null = null;
  let mismatch: LogProbMismatch | null = null;
  let importanceSampling: ImportanceSamplingSummary | null = null;
  const samplerLogProbs = rows.map((row) => samplerLogProbsOf(row.rollout));
  const cap = input.importanceSamplingCap;
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
    mismatch = logProbMismatch(values, samplerLogProbs);
    const computed = objective.compute(objectiveRows);
    if (cap === undefined) return { loss: computed.loss, gradient: computed.gradient, parts: computed.parts };
    const tis = truncatedImportanceRatios(values, samplerLogProbs, cap);
    importanceSampling = {
      cap,
      clippedFraction: tis.tokens === 0 ? 0 : tis.clippedTokens / tis.tokens,
      meanRatio: tis.meanRatio,
      rowsWithoutLogProbs: tis.rowsWithout,
    };
    return {
      loss: computed.loss,
      gradient: weightGradient(computed.gradient, tis.ratios),
      parts: computed.parts,
    };
  });
  return {
    loss: result.loss,
    gradient: result.gradient,
    parts: result.parts ? sortKeys(result.parts) : null,
    kl,
    mismatch,
    importanceSampling,
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
