import type { Objective, Policy, TokenBatch, TokenRewardModel, TrainablePolicy } from '@oreal-ts/core';
import type { TrainingRow } from './select';

/** Input of the weigh-tokens phase: the selected batch and the models that score it. */
export interface WeighTokensInput {
  readonly objective: Objective;
  readonly policy: TrainablePolicy;
  readonly reference?: Policy;
  readonly rewardModel?: TokenRewardModel;
  readonly rows: readonly TrainingRow[];
  readonly batch: TokenBatch;
  readonly positive: readonly boolean[];
  /** False during the actor-freeze steps: nothing the policy update needs is computed then. */
  readonly updating: boolean;
  /**
   * The rows the reward model trains on, when not the selected batch (`rewardModel.trainOn: all`):
   * their tokens and labels 1[r > 0]. Absent: the selected batch and `positive`.
   */
  readonly rewardModelRows?: { readonly batch: TokenBatch; readonly positive: readonly boolean[] };
  /** Reward-model optimiser steps on those rows. Default 1 (reference). */
  readonly rewardModelSteps?: number;
}

/** The raw result of one reward-model training step (checked for finiteness by the scheduler). */
export interface RewardModelStep {
  /** BCE and accuracy of the first step (the scores before this RL step trained the model). */
  readonly loss: number;
  readonly accuracy: number;
  /** Largest gradient norm over the steps. */
  readonly gradNorm: number;
  /** Optimiser steps taken and rows trained on. */
  readonly steps?: number;
  readonly rows?: number;
}

/** Output of the weigh-tokens phase: the per-token inputs of the objective and the RM's step. */
export interface WeighTokensOutput {
  readonly referenceLogProbs?: number[][];
  readonly oldLogProbs?: number[][];
  readonly tokenWeights?: number[][];
  /** The token reward model's training step on this batch (absent without a reward model). */
  readonly rewardModelStep?: RewardModelStep;
}

/**
 * Weigh-tokens phase: reference log-probs, behaviour log-probs and token weights ω as the
 * objective requires (only when updating), then the token reward model's training steps (every
 * step) on the same batch or on `rewardModelRows`. Weights are computed before the reward model trains.
 */
export async function weighTokensPhase(input: WeighTokensInput): Promise<WeighTokensOutput> {
  const { objective, policy, reference, rewardModel, rows, batch, positive, updating } = input;
  let referenceLogProbs: number[][] | undefined;
  let oldLogProbs: number[][] | undefined;
  let tokenWeights: number[][] | undefined;
  if (updating && objective.requires.referenceLogProbs && reference)
    referenceLogProbs = await reference.logProbs(batch);
  if (updating && objective.requires.oldLogProbs) {
    const known = rows.every((row) => row.rollout.logProbs.length === row.rollout.tokenIds.length);
    oldLogProbs = known ? rows.map((row) => [...row.rollout.logProbs]) : await policy.logProbs(batch);
  }
  if (updating && objective.requires.tokenWeights && rewardModel)
    tokenWeights = await rewardModel.tokenWeights(batch, positive);
  // The reference's single step on the selected rows reports no step/row counts (its lines stay as they were).
  const rewardModelStep = !rewardModel
    ? undefined
    : input.rewardModelRows || (input.rewardModelSteps ?? 1) !== 1
      ? await trainRewardModel(rewardModel, input.rewardModelRows ?? { batch, positive }, input.rewardModelSteps ?? 1)
      : await rewardModel.train(batch, positive);
  return {
    ...(referenceLogProbs ? { referenceLogProbs } : {}),
    ...(oldLogProbs ? { oldLogProbs } : {}),
    ...(tokenWeights ? { tokenWeights } : {}),
    ...(rewardModelStep ? { rewardModelStep } : {}),
  };
}

/**
 * `steps` reward-model steps on the same rows; a non-finite loss or gradient norm stops at once
 * (the scheduler reports it). Loss and accuracy are the first step's, the gradient norm the largest.
 */
async function trainRewardModel(
  rewardModel: TokenRewardModel,
  rows: { readonly batch: TokenBatch; readonly positive: readonly boolean[] },
  steps: number,
): Promise<RewardModelStep> {
  const first = await rewardModel.train(rows.batch, rows.positive);
  let gradNorm = first.gradNorm;
  let taken = 1;
  while (taken < steps && Number.isFinite(first.loss) && Number.isFinite(gradNorm)) {
    const next = await rewardModel.train(rows.batch, rows.positive);
    taken++;
    if (!Number.isFinite(next.loss)) return { loss: next.loss, accuracy: next.accuracy, gradNorm, steps: taken, rows: rows.positive.length };
    gradNorm = Number.isFinite(next.gradNorm) ? Math.max(gradNorm, next.gradNorm) : next.gradNorm;
  }
  return { loss: first.loss, accuracy: first.accuracy, gradNorm, steps: taken, rows: rows.positive.length };
}
