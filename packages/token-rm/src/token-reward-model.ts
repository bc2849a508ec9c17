import { assertSpecificationVersion, InvalidArgumentError, parseConfig } from '@oreal-ts/core';
import type { RewardModelStepReport, TokenBatch, TokenRewardModel, TokenScorer } from '@oreal-ts/core';
import { z } from 'zod';
import { sequenceBce } from './sequence-bce';
import { tokenWeightsFromScores } from './token-weights';

const ratio = z.number().finite().gt(0).max(1);

/** Options of `createTokenRewardModel` other than the scorer; every field has the reference default. */
export const TokenRewardModelOptionsSchema = z.strictObject({
  /** Component id. Default `oreal-ts/token-rm`. */
  id: z.string().min(1).default('oreal-ts/token-rm'),
  /** c₊ of ω⁺ = clamp((q − c₊)/(1 − c₊), 0, 1). Default 0.5 (reference `correct_threshold`). */
  positiveThreshold: z.number().finite().min(0).lt(1).default(0.5),
  /**
   * c₋ of ω⁻ = clamp(((1 − q) − c₋)/(1 − c₋), 0, 1), the reference's meaning (rescale of 1 − q).
   * Default 0.5 (reference `incorrect_threshold`).
   */
  negativeThreshold: z.number().finite().min(0).lt(1).default(0.5),
  /**
   * Top-k rescale instead of the threshold rescale. Default off (reference `threshold_rescale`).
   * `mode`: `reference` (raw probabilities, ⌊ratio·T⌋, min-max; see `referenceTopKRescale`) or
   * `sum-preserving` (this project's earlier variant; see `topKRescale`).
   */
  topKRescale: z
    .strictObject({
      positiveRatio: ratio.default(0.25),
      negativeRatio: ratio.default(0.25),
      mode: z.enum(['reference', 'sum-preserving']).default('reference'),
    })
    .optional(),
});

/** Options of `createTokenRewardModel`. */
export type TokenRewardModelOptions = z.input<typeof TokenRewardModelOptionsSchema> & {
  /**
   * The backbone with a one-logit head (e.g. `createTokenScorer` of `@oreal-ts/tensor-model`,
   * initialised from the policy's weights). It carries its own optimiser, schedule and clipping.
   * The reward model owns it: `dispose()` disposes it.
   */
  readonly scorer: TokenScorer;
};

function checkLabels(batch: TokenBatch, positive: readonly boolean[]): void {
  if (batch.responseIds.length !== positive.length) {
    throw new InvalidArgumentError('positive', `expected one label per row (${batch.responseIds.length}), got ${positive.length}`);
  }
}

/**
 * OREAL's token-level reward model over an injected `TokenScorer`:
 * - `scores` are the scorer's s_t;
 * - `train` makes one optimiser step of the scorer on `sequenceBce` (mean-score logit, BCE against
 *   the outcome); the reported loss and accuracy are those of the scores BEFORE the step;
 * - `tokenWeights` are `tokenWeightsFromScores` of the current scores: detached plain numbers.
 * `save`/`load` delegate to the scorer (the trainer gives it a sub-folder of the policy checkpoint).
 * Options are validated (`ConfigError` naming `tokenRewardModel.<field>`).
 */
export function createTokenRewardModel(options: TokenRewardModelOptions): TokenRewardModel {
  const { scorer, ...rest } = options;
  if (!scorer) throw new InvalidArgumentError('scorer', 'is required: pass a TokenScorer (the backbone with a one-logit head)');
  assertSpecificationVersion(scorer);
  const resolved = parseConfig(TokenRewardModelOptionsSchema, rest, 'tokenRewardModel');
  const weightOptions = {
    positiveThreshold: resolved.positiveThreshold,
    negativeThreshold: resolved.negativeThreshold,
    ...(resolved.topKRescale ? { topKRescale: resolved.topKRescale } : {}),
  };
  return {
    specificationVersion: 'v1',
    id: resolved.id,
    scores: (batch) => scorer.scores(batch),
    async tokenWeights(batch, positive) {
      checkLabels(batch, positive);
      return tokenWeightsFromScores(await scorer.scores(batch), positive, weightOptions);
    },
    async train(batch, positive): Promise<RewardModelStepReport> {
      checkLabels(batch, positive);
      const result = await scorer.accumulateGradients(batch, (scores) => sequenceBce(scores, positive));
      const step = await scorer.applyGradients();
      return { loss: result.loss, accuracy: result.parts?.accuracy ?? 0, gradNorm: step.gradNorm };
    },
    save: (dir) => scorer.save(dir),
    load: (dir) => scorer.load(dir),
    dispose: () => scorer.dispose(),
  };
}
