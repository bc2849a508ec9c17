import { parseConfig } from '@oreal-ts/core';
import type { Objective } from '@oreal-ts/core';
import { z } from 'zod';
import { clippedSurrogateLoss } from './clipped-surrogate-loss';
import { AdvantageEstimatorSchema, GroupFilterSchema, LossAggregationSchema, nonNegative } from './option-schemas';
import { policyGradientLoss } from './policy-gradient-loss';
import { rftLoss } from './rft-loss';
import { selectRollouts } from './select-rollouts';

const positive = (defaultValue: number) => z.number().finite().positive().default(defaultValue);

function policyGradientSchema(estimator: 'mean-baseline' | 'rloo') {
  return z.strictObject({
    /** Advantage estimator over all K rollouts. */
    advantageEstimator: AdvantageEstimatorSchema.default(estimator),
    /** ε of the GRPO estimator. Default 1e-8. */
    advantageEpsilon: nonNegative(1e-8),
    /** Default `keep-all` (the methods' papers use every sample). */
    filter: GroupFilterSchema.default('keep-all'),
    /** Default `sequence-sum`: −(1/R) Σ_i A_i Σ_t ℓ_t, the REINFORCE estimator of ∇ E[r]. */
    aggregation: LossAggregationSchema.default('sequence-sum'),
    /** Divisor per row of the `constant` aggregation. Default 1. */
    constantNormalizer: positive(1),
    /** β of an optional k3 KL to the reference. Default 0 (none). */
    klCoefficient: nonNegative(0),
  });
}

/** Options of `createReinforceObjective` (all optional). */
export const ReinforceObjectiveOptionsSchema = policyGradientSchema('mean-baseline');
/** Options of `createRlooObjective` (all optional). */
export const RlooObjectiveOptionsSchema = policyGradientSchema('rloo');
/** Input options of the REINFORCE objective. */
export type ReinforceObjectiveOptions = z.input<typeof ReinforceObjectiveOptionsSchema>;
/** Input options of the RLOO objective. */
export type RlooObjectiveOptions = z.input<typeof RlooObjectiveOptionsSchema>;

function policyGradientObjective(
  id: string,
  resolved: z.output<typeof ReinforceObjectiveOptionsSchema>,
): Objective {
  return {
    specificationVersion: 'v1',
    id,
    requires: { referenceLogProbs: resolved.klCoefficient > 0, oldLogProbs: false, tokenWeights: false },
    select: (groups, rng) => selectRollouts(groups, rng, resolved),
    compute: (rows) => policyGradientLoss(rows, resolved),
  };
}

/**
 * REINFORCE with a per-group mean baseline (A_i = r_i − mean_j r_j over all K), all rollouts kept,
 * loss −(1/R) Σ_i A_i Σ_t ℓ_t. The paper's ablation starting point.
 */
export function createReinforceObjective(options: ReinforceObjectiveOptions = {}): Objective {
  return policyGradientObjective('oreal-ts/reinforce', parseConfig(ReinforceObjectiveOptionsSchema, options, 'reinforce'));
}

/**
 * RLOO policy gradient (Ahmadian et al. 2024): leave-one-out advantages over all K, all rollouts
 * kept, loss −(1/R) Σ_i A_i Σ_t ℓ_t.
 */
export function createRlooObjective(options: RlooObjectiveOptions = {}): Objective {
  return policyGradientObjective('oreal-ts/rloo', parseConfig(RlooObjectiveOptionsSchema, options, 'rloo'));
}

function clippedSchema(defaults: {
  estimator: 'grpo' | 'mean-baseline';
  aggregation: 'token-mean' | 'constant';
}) {
  return z.strictObject({
    advantageEstimator: AdvantageEstimatorSchema.default(defaults.estimator),
    /** ε added to the std by the GRPO estimator. Default 1e-8. */
    advantageEpsilon: nonNegative(1e-8),
    filter: GroupFilterSchema.default('keep-all'),
    /** ε_low. Default 0.2 (PPO, GRPO, TRL `epsilon`). */
    clipLow: nonNegative(0.2),
    /** ε_high. Default 0.2 (= ε_low as in GRPO and TRL; DAPO's clip-higher uses 0.28). */
    clipHigh: nonNegative(0.2),
    aggregation: LossAggregationSchema.default(defaults.aggregation),
    /**
     * Divisor per row of the `constant` aggregation: the generation budget in tokens (set it to the
     * sampler's maxNewTokens). Default 256 (TRL's `max_completion_length` default).
     */
    constantNormalizer: positive(256),
    /** β of the k3 KL to the reference. Default 0 (TRL's `beta` default; DeepSeekMath used 0.04). */
    klCoefficient: nonNegative(0),
  });
}

/** Options of `createGrpoObjective`. */
export const GrpoObjectiveOptionsSchema = clippedSchema({ estimator: 'grpo', aggregation: 'token-mean' });
/** Options of `createDrGrpoObjective`. */
export const DrGrpoObjectiveOptionsSchema = clippedSchema({ estimator: 'mean-baseline', aggregation: 'constant' });
/** Input options of the GRPO objective. */
export type GrpoObjectiveOptions = z.input<typeof GrpoObjectiveOptionsSchema>;
/** Input options of the Dr. GRPO objective. */
export type DrGrpoObjectiveOptions = z.input<typeof DrGrpoObjectiveOptionsSchema>;

function clippedObjective(id: string, resolved: z.output<typeof GrpoObjectiveOptionsSchema>): Objective {
  return {
    specificationVersion: 'v1',
    id,
    requires: { referenceLogProbs: resolved.klCoefficient > 0, oldLogProbs: true, tokenWeights: false },
    select: (groups, rng) => selectRollouts(groups, rng, resolved),
    compute: (rows) => clippedSurrogateLoss(rows, resolved),
  };
}

/**
 * GRPO (Shao et al. 2024): (r − mean)/(std + ε) advantages over all K, all rollouts kept, the
 * clipped ratio surrogate with separate low/high clip, token-mean aggregation (DAPO-style; pass
 * `aggregation: 'sequence-mean'` for the original per-sequence mean), optional k3 KL.
 */
export function createGrpoObjective(options: GrpoObjectiveOptions = {}): Objective {
  return clippedObjective('oreal-ts/grpo', parseConfig(GrpoObjectiveOptionsSchema, options, 'grpo'));
}

/**
 * Dr. GRPO (Liu et al. 2025, "Understanding R1-Zero-Like Training"): GRPO without the std
 * division (mean-baseline advantages) and without the per-length normalisation: token sums
 * divided by the constant `rows × constantNormalizer`.
 */
export function createDrGrpoObjective(options: DrGrpoObjectiveOptions = {}): Objective {
  return clippedObjective('oreal-ts/dr-grpo', parseConfig(DrGrpoObjectiveOptionsSchema, options, 'dr-grpo'));
}

/** Options of `createRftObjective`: none yet (an empty object is accepted). */
export const RftObjectiveOptionsSchema = z.strictObject({});
/** Input options of the RFT objective. */
export type RftObjectiveOptions = z.input<typeof RftObjectiveOptionsSchema>;

/**
 * Rejection-sampling fine-tuning: keep every correct rollout (advantage 1, no baseline), minimise
 * their token-mean negative log-likelihood (`rftLoss`).
 */
export function createRftObjective(options: RftObjectiveOptions = {}): Objective {
  parseConfig(RftObjectiveOptionsSchema, options, 'rft');
  return {
    specificationVersion: 'v1',
    id: 'oreal-ts/rft',
    requires: { referenceLogProbs: false, oldLogProbs: false, tokenWeights: false },
    select: (groups, rng) =>
      selectRollouts(groups, rng, { advantageEstimator: 'mean-baseline', advantageEpsilon: 0, filter: 'positives-only' }).map(
        (row) => ({ ...row, advantage: 1 }),
      ),
    compute: (rows) => rftLoss(rows),
  };
}
