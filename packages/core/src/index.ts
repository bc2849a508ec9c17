/**
 * @oreal-ts/core — the contracts every oreal-ts component implements, their errors, and small
 * dependency-free helpers. Node-only helpers (JSONL files, atomic writes) live in `@oreal-ts/core/node`;
 * call-recording fakes of every role in `@oreal-ts/core/testing`.
 */
export type { SpecificationVersion, Component } from './contracts/version';
export type { Problem } from './contracts/problem';
export type { FinishReason, Rollout, RolloutGroup } from './contracts/rollout';
export { VERDICT_REASONS, type Verdict, type VerdictReason } from './contracts/verdict';
export type { ChatMessage, Tokenizer } from './contracts/tokenizer';
export type {
  TokenBatch,
  PerTokenValues,
  LossWithGradient,
  PerTokenLoss,
  OptimizerStepReport,
  TrainableModel,
  DecodingSession,
  Policy,
  TrainablePolicy,
  TokenScorer,
} from './contracts/model';
export type { SampleOptions, PromptTemplate, Sampler } from './contracts/sampler';
export type { Verifier, VerifierResponse } from './contracts/verifier';
export type { PublishedWeights, WeightPublisher, WeightSyncTarget, WeightSyncReport, WeightSync } from './contracts/weight-sync';
export type { TokenRewardModel, RewardModelStepReport } from './contracts/token-reward-model';
export type {
  RandomSource,
  ScoredRollout,
  ScoredGroup,
  SelectedRollout,
  ObjectiveRow,
  ObjectiveResult,
  ObjectiveRequirements,
  Objective,
} from './contracts/objective';
export {
  OrealError,
  ConfigError,
  DataFormatError,
  BackendUnavailableError,
  CheckpointError,
  VerifierTimeoutError,
  HttpRequestError,
  WeightSyncError,
  TrainingDivergedError,
  SpecificationVersionError,
  InvalidArgumentError,
  assertSpecificationVersion,
  type OrealErrorCode,
} from './errors';
export { SeededRng, hashString, type RngState } from './rng';
export { parseJsonl, parseJsonlLine, toJsonl, type JsonlRecord } from './jsonl';
export { parseConfig, parseRecord, formatIssues, preview } from './validation';
export { ProblemSchema, SampleOptionsSchema, RolloutSchema, VerdictSchema, RngStateSchema } from './schemas';
export { responseText, responseFinishReason } from './response';
export { scheduledLearningRate, type LearningRateSchedule } from './schedule';
export {
  logitAccuracy,
  negativeMassShare,
  rocAuc,
  summariseNegativeMass,
  type NegativeMassShare,
  type NegativeMassSummary,
} from './credit-diagnostics';
