/**
 * @oreal-ts/trainer-cli — the `oreal` command (bin) and, as a library, the functions it is built
 * from: the config schema and loader, `createComponentsFromConfig` (config → every component),
 * the demo/ablation pipelines and the plotting helpers.
 */
export {
  OrealConfigSchema,
  ModelSectionSchema,
  ArchitectureSchema,
  OptimizerSchema,
  DataSectionSchema,
  SamplerSectionSchema,
  VerifierSectionSchema,
  ObjectiveSectionSchema,
  TokenRewardModelSectionSchema,
  SftSectionSchema,
  LoggingSectionSchema,
  DEFAULT_SEED,
  type OrealConfig,
  type OrealConfigInput,
  type OptimizerConfig,
} from './config/schema';
export { loadConfig, type ConfigSources } from './config/load-config';
export { applyOverrides, parseOverride, mergeConfig, type ConfigTree } from './config/overrides';
export { readConfigFile } from './config/read-config-file';
export {
  createComponentsFromConfig,
  createPolicyFromConfig,
  createObjectiveFromConfig,
  createVerifierFromConfig,
  createSamplerFromConfig,
  createTaskTokenizer,
  trainingOptions,
  SPECIAL_TOKENS,
  type Components,
  type ComponentOverrides,
} from './compose/create-components';
export { createTrainerFromComponents } from './compose/create-trainer-from-components';
export { loadProblems, readProblemsFile, type ProblemSplits } from './compose/load-problems';
export { promptTemplateFor, type PromptTemplateName } from './compose/prompt-templates';
export { runWarmStart, supervisedExamples, type WarmStartResult } from './pipeline/warm-start';
export {
  runReinforcement,
  type ReinforcementOptions,
  type ReinforcementResult,
} from './pipeline/reinforcement-run';
export { runReinforcementFromCheckpoint } from './pipeline/rl-from-checkpoint';
export { ABLATION_VARIANTS, variantConfig, type AblationVariant } from './pipeline/ablation-variants';
export { runAblationSeed, type AblationRow, type AblationSeedRun } from './pipeline/ablation-seed';
export {
  aggregateArms,
  curveBand,
  defaultTarget,
  meanWithCi95,
  rolloutsToTarget,
  studentTQuantile,
  studentT975,
  SeedResultSchema,
  type ArmSummary,
  type BandPoint,
  type CurveEval,
  type MeanInterval,
  type RewardModelDiagnostics,
  type RolloutsToTargetSummary,
  type SeedArmResult,
  type SeedResult,
} from './report/ablation-stats';
export { DEMO_CONFIG } from './pipeline/demo-config';
export { createProgram } from './program';
export { processOutput, type CommandOutput } from './commands/output';
export {
  lineChartSpec,
  barChartSpec,
  bandChartSpec,
  writeChart,
  renderSvg,
  svgToPng,
  type ChartPoint,
  type BandChartPoint,
  type ChartBar,
  type ChartFiles,
} from './report/plot';
export { learningCurvePoints, writeLearningCurve } from './report/learning-curve';
export {
  createProgressReporter,
  type ProgressReporter,
  type ProgressMode,
  type ProgressReporterOptions,
} from './report/progress';
export { formatTable, formatMarkdownTable, percent } from './report/table';
export {
  startServer,
  installShutdownHandlers,
  waitForShutdown,
  CompletionRequestSchema,
  ChatRequestSchema,
  type ServeOptions,
  type RunningServer,
  type ServeLogger,
  type ShutdownOptions,
  type CompletionRequest,
  type ChatRequest,
} from './serve/index';
