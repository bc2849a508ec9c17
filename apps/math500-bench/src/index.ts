/**
 * @oreal-ts/math500-bench — the MATH-500 harness behind the `oreal-math500` command: sample any model
 * (OpenAI-compatible endpoints or a local checkpoint) or grade given responses with the same verifier the
 * trainer rewards with; pass@1 with a 95% CI, unbiased pass@k, maj@k, a subject × level table, a
 * resumable results file, a markdown report and an SVG/PNG chart.
 */
export { passAtK, passAtKCurve } from './metrics/pass-at-k';
export { passAtOne, Z_95, type PassAtOne } from './metrics/pass-at-one';
export {
  clusterAnswers,
  majorityCorrect,
  majorityAtKCurve,
  type AnswerEquivalence,
  type VoteSample,
} from './metrics/majority-vote';
export { subjectLevelTable, type ProblemTally, type AccuracyCell, type SubjectLevelTable } from './metrics/subject-level-table';
export { summarize, type BenchmarkSummary, type SummarizeOptions } from './metrics/summarize';
export { Math500RecordSchema, loadMath500, toProblem, type Math500Record } from './data/math500-problems';
export { ensureMath500, defaultCacheDir, MATH500_SHA256, MATH500_URLS, type EnsureMath500Options } from './data/download';
export {
  BUILT_IN_TEMPLATES,
  BOXED_INSTRUCTION,
  TemplateFileSchema,
  loadTemplateFile,
  resolveTemplate,
  type BenchmarkTemplate,
} from './prompts/templates';
export { ResultRecordSchema, resultKey, type ResultRecord } from './results/result-record';
export { loadResults, ResultsWriter, type LoadedResults } from './results/results-file';
export { RunSettingsSchema, RESUME_KEYS, type RunSettings } from './run/run-settings';
export { runBenchmark, callSeed, toResultRecord, type RunBenchmarkOptions, type RunBenchmarkResult } from './run/run-benchmark';
export {
  ResponseRecordSchema,
  readResponses,
  gradeResponses,
  type ResponseRecord,
  type MatchedResponse,
  type GradeResponsesOptions,
  type GradeResponsesResult,
} from './grade/grade-responses';
export { accuracyChartSpec, renderAccuracyChart, type RenderedChart } from './report/accuracy-chart';
export { markdownReport, reportedKs } from './report/markdown-report';
export { writeOutputs, outputFiles, type OutputFiles } from './report/write-outputs';
export { buildProgram, runCli, RunIncompleteError, RunFlagsSchema, GradeFlagsSchema, type CliEnvironment } from './cli/program';
export { createVerification, createAnswerEquivalence, createEndpointSampler, createCheckpointSampler, type Verification, type EndpointSamplerOptions } from './cli/components';
