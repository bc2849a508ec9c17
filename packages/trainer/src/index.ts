/**
 * @oreal-ts/trainer — the OREAL reinforcement-learning loop over injected components (policy,
 * reference, sampler, verifier, objective, token reward model), held-out pass@1 evaluation,
 * supervised warm starts, atomic checkpoints with exact resume, and built-in verifiable maths tasks.
 */
export {
  TrainerConfigSchema,
  TrainerSamplingSchema,
  TrainerCheckpointSchema,
  TrainerWeightSyncSchema,
  TrainerImportanceSamplingSchema,
  TrainerRewardModelSchema,
  parseTrainerConfig,
  type TrainerConfig,
  type TrainerConfigInput,
} from './config';
export {
  createTrainer,
  METRICS_FILE,
  TRAJECTORY_FOLDER,
  WEIGHTS_LOG_FILE,
  type CreateTrainerOptions,
  type Trainer,
  type TrainerHooks,
  type TrainerStateView,
  type TrainResult,
  type BestEval,
} from './trainer';
export * from './phases/index';
export {
  runSyncStep,
  samplePlan,
  trainOnGroups,
  type SyncStepContext,
  type StepComponents,
  type StepPlan,
  type StepOutcome,
  type StepClock,
} from './schedulers/sync';
export { runAsyncStep, type AsyncStepContext } from './schedulers/async';
export {
  samplerLogProbsOf,
  logProbMismatch,
  truncatedImportanceRatios,
  weightGradient,
  type LogProbMismatch,
  type TruncatedImportanceRatios,
} from './sampler-mismatch';
export { stalenessOf, dropStaleRollouts, type StalenessStats, type StaleDrop } from './staleness';
export {
  buildStepMetrics,
  formatStepLine,
  type StepMetricsInput,
  type RewardModelDiagnostics,
} from './step-metrics';
export {
  tokenIndexOfChar,
  firstWrongToken,
  creditShares,
  sequenceLogits,
  heldOutDiagnostics,
  lowestScoreOnFirstWrong,
  withinProblemAuc,
  type CreditMarker,
  type CreditShares,
  type HeldOutRollouts,
  type HeldOutDiagnostics,
} from './reward-model-diagnostics';
export {
  sampleHeldOut,
  readHeldOut,
  writeHeldOut,
  heldOutRolloutsOf,
  HeldOutFileSchema,
  REWARD_MODEL_HELD_OUT_FILE,
  type HeldOutFile,
  type SampleHeldOutOptions,
} from './reward-model-heldout';
export { trajectoryRecords, type TrajectoryChoice } from './trajectory-records';
export type { StepMetrics, EvalMetrics, StepTiming, RewardModelMetrics, SkipReason } from './metrics';
export { withoutTiming } from './metrics';
export { evaluatePassAt1, type EvaluatePassAt1Options, type EvalSampling } from './evaluate';
export {
  supervisedFineTune,
  type SupervisedFineTuneOptions,
  type SftExample,
  type SftResult,
  type SftStepMetrics,
} from './supervised-fine-tune';
export {
  gradeRollout,
  gradeGroups,
  type GradedGroup,
  type GradedRollout,
  type RewardValues,
} from './grade-rollouts';
export { tokenizeRollout, type TokenizedRollout } from './tokenize-rollouts';
export { DataCursor, type DataCursorState } from './data-cursor';
export {
  checkpointName,
  listCheckpoints,
  resolveLatestCheckpoint,
  readTrainerState,
  TrainerStateSchema,
  TRAINER_STATE_FILE,
  LATEST_POINTER_FILE,
  type TrainerState,
  type CheckpointEntry,
} from './checkpoint-store';
export * from './tasks/index';
