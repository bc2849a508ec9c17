/**
 * @oreal-ts/oreal-objective — the OREAL loss (oreal-method.md), its advantages, group filtering
 * and offline difficulty balancing, and the baselines REINFORCE, RLOO, GRPO, Dr. GRPO and RFT,
 * all behind core's `Objective` contract.
 */
export {
  rlooAdvantages,
  grpoAdvantages,
  meanBaselineAdvantages,
  groupAdvantages,
  type AdvantageEstimator,
  type GrpoAdvantageOptions,
} from './advantages';
export { filterGroups, isCorrect, type GroupFilter } from './filter-groups';
export {
  balanceByPassRate,
  DEFAULT_PASS_RATE_BINS,
  type PassRateBin,
  type BalanceOptions,
  type MissingPassRate,
} from './balance-by-pass-rate';
export { selectRollouts, type SelectionOptions } from './select-rollouts';
export { withoutNegativeShaping } from './without-negative-shaping';
export { k3Divergence } from './rows';
export { orealLoss, OREAL_LOSS_DEFAULTS, type OrealLossOptions } from './oreal-loss';
export {
  policyGradientLoss,
  aggregationScales,
  type LossAggregation,
  type PolicyGradientLossOptions,
} from './policy-gradient-loss';
export { clippedSurrogateLoss, type ClippedSurrogateLossOptions } from './clipped-surrogate-loss';
export { rftLoss } from './rft-loss';
export {
  createOrealObjective,
  OrealObjectiveOptionsSchema,
  type OrealObjectiveOptions,
  type ResolvedOrealObjectiveOptions,
} from './oreal-objective';
export {
  createReinforceObjective,
  createRlooObjective,
  createGrpoObjective,
  createDrGrpoObjective,
  createRftObjective,
  ReinforceObjectiveOptionsSchema,
  RlooObjectiveOptionsSchema,
  GrpoObjectiveOptionsSchema,
  DrGrpoObjectiveOptionsSchema,
  RftObjectiveOptionsSchema,
  type ReinforceObjectiveOptions,
  type RlooObjectiveOptions,
  type GrpoObjectiveOptions,
  type DrGrpoObjectiveOptions,
  type RftObjectiveOptions,
} from './baseline-objectives';
export {
  createObjectiveRegistry,
  BUILT_IN_OBJECTIVES,
  type ObjectiveFactory,
  type ObjectiveRegistry,
} from './objective-registry';
