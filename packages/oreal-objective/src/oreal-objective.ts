import { parseConfig } from '@oreal-ts/core';
import type { Objective } from '@oreal-ts/core';
import { z } from 'zod';
import { AdvantageEstimatorSchema, GroupFilterSchema, nonNegative } from './option-schemas';
import { OREAL_LOSS_DEFAULTS, orealLoss } from './oreal-loss';
import { selectRollouts } from './select-rollouts';
import { withoutNegativeShaping } from './without-negative-shaping';

/**
 * Options of the OREAL objective; every field defaults to the reference value
 * (InternLM/OREAL configs, oreal-method.md).
 */
export const OrealObjectiveOptionsSchema = z.strictObject({
  /** λ₊ (reference `positive_loss_factor` = 1.0). */
  positiveLossFactor: nonNegative(OREAL_LOSS_DEFAULTS.positiveLossFactor),
  /** λ₋ (reference `negative_loss_factor` = 0.5). */
  negativeLossFactor: nonNegative(OREAL_LOSS_DEFAULTS.negativeLossFactor),
  /** β of the k3 KL to the frozen reference (reference `kl_coef` = 0.01). 0 removes the term. */
  klCoefficient: nonNegative(OREAL_LOSS_DEFAULTS.klCoefficient),
  /** Multiply the positive term by A_i (reference `pos_mult_adv` = True). */
  multiplyPositiveByAdvantage: z.boolean().default(OREAL_LOSS_DEFAULTS.multiplyPositiveByAdvantage),
  /** Advantage estimator over all K rollouts (reference `reward_shaping_type` = "rloo"; "grpo" is the alternative). */
  advantageEstimator: AdvantageEstimatorSchema.default('rloo'),
  /** ε added to the std by the GRPO estimator. Default 1e-8. */
  advantageEpsilon: nonNegative(1e-8),
  /** Group filter (reference `filter_trajectory` = True → one correct + one incorrect per mixed group). */
  filter: GroupFilterSchema.default('one-correct-one-incorrect'),
  /** Ask the trainer for token weights ω from the token reward model (ω ≡ 1 without one). Default true. */
  useTokenWeights: z.boolean().default(true),
  /**
   * Keep the reward shaping of negatives (|A⁻|/A⁺ = p/(1−p), oreal-method.md step 3). Default
   * true (the method). false: every incorrect rollout gets the weight its group's correct
   * rollouts get (−Ā⁺, or −1 without `multiplyPositiveByAdvantage`), see `withoutNegativeShaping`;
   * an ablation arm, not a reference setting.
   */
  shapeNegatives: z.boolean().default(true),
});

/** Input options of `createOrealObjective` (all optional). */
export type OrealObjectiveOptions = z.input<typeof OrealObjectiveOptionsSchema>;
/** Options after defaults. */
export type ResolvedOrealObjectiveOptions = z.output<typeof OrealObjectiveOptionsSchema>;

/**
 * The OREAL objective: RLOO advantages over all K rollouts, one correct + one incorrect rollout
 * kept per mixed group, and the OREAL loss (see `orealLoss`). With `shapeNegatives: false` the
 * negatives' advantages are replaced before the filter (`withoutNegativeShaping`). Options are validated; a bad field
 * throws `ConfigError` naming it (`oreal.<field>`).
 */
export function createOrealObjective(options: OrealObjectiveOptions = {}): Objective & { readonly options: ResolvedOrealObjectiveOptions } {
  const resolved = parseConfig(OrealObjectiveOptionsSchema, options, 'oreal');
  return {
    specificationVersion: 'v1',
    id: 'oreal-ts/oreal',
    options: resolved,
    requires: {
      referenceLogProbs: resolved.klCoefficient > 0,
      oldLogProbs: false,
      tokenWeights: resolved.useTokenWeights,
    },
    select: (groups, rng) =>
      selectRollouts(groups, rng, {
        ...resolved,
        ...(resolved.shapeNegatives
          ? {}
          : {
              adjustAdvantages: (rewards: readonly number[], advantages: number[]) =>
                withoutNegativeShaping(rewards, advantages, resolved.multiplyPositiveByAdvantage),
            }),
      }),
    compute: (rows) => orealLoss(rows, resolved),
  };
}
