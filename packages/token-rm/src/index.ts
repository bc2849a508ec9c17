/**
 * @oreal-ts/token-rm — OREAL's token-level reward model: per-token scores s_t trained from
 * sequence outcomes only (mean-score logit, BCE), and the detached importance weights ω⁺/ω⁻ they
 * induce. The backbone is injected as core's `TokenScorer`.
 */
export { sequenceBce, sigmoid, softplus } from './sequence-bce';
export {
  prefixMeanSigmoid,
  tokenWeightsFromScores,
  referenceTopKRescale,
  topKRescale,
  type TokenWeightOptions,
  type TopKRescaleMode,
  type TopKRescaleOptions,
} from './token-weights';
export { createTokenRewardModel, TokenRewardModelOptionsSchema, type TokenRewardModelOptions } from './token-reward-model';
export {
  logitAccuracy,
  negativeMassShare,
  rocAuc,
  summariseNegativeMass,
  type NegativeMassShare,
  type NegativeMassSummary,
} from '@oreal-ts/core';
