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
}

/** The raw result of one reward-model training step (checked for finiteness by the scheduler). */
export interface RewardModelStep {
  readonly loss: number;
  readonly accuracy: number;
  readonly gradNorm: number;
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
 * objective requires (only when updating), then one training step of the token reward model on
 * the same batch (every step). Weights are computed before the reward model trains.
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
  const rewardModelStep = rewardModel ? await rewardModel.train(batch, positive) : undefined;
  return {
    ...(referenceLogProbs ? { referenceLogProbs } : {}),
    ...(oldLogProbs ? { oldLogProbs } : {}),
    ...(tokenWeights ? { tokenWeights } : {}),
    ...(rewardModelStep ? { rewardModelStep } : {}),
  };
}
