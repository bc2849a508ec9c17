/**
 * @oreal-ts/sampler — best-of-N rollouts behind core's `Sampler` contract: from a local `Policy`
 * (batched rows, KV-cached decoding, seeded sampling in JS) or from a pool of OpenAI-compatible
 * servers (retries, back-off, per-URL concurrency).
 */
export { createLocalSampler, encodePrompt, type LocalSamplerOptions } from './local-sampler';
export {
  createOpenAISampler,
  normaliseBaseUrl,
  parseTokenIds,
  type OpenAISamplerOptions,
} from './openai-sampler';
export {
  generateBatch,
  generateSequences,
  assertPromptFits,
  topTokens,
  type TokenLogProb,
  type GenerationRequest,
  type GenerationSettings,
  type GeneratedSequence,
} from './generate';
export {
  sampleToken,
  sampleCategorical,
  logSoftmax,
  logProbAt,
  argmax,
  topKFilter,
  topPFilter,
  type TokenSamplingSettings,
  type SampledToken,
} from './sampling';
export { findStopString, type StopMatch } from './stop-strings';
export {
  plainPrompt,
  chatPrompt,
  questionOnlyPrompt,
  renderPrompt,
  renderMessagesAsText,
  BOXED_INSTRUCTION,
} from './prompt-template';
export {
  backoffDelay,
  parseRetryAfter,
  isRetryableStatus,
  redact,
  postJsonWithRetry,
  type BackoffOptions,
  type RetrySettings,
} from './http-retry';
export { UrlPool, type UrlLease, type SamplerServerPool } from './url-pool';
export {
  CompletionResponseSchema,
  ChatResponseSchema,
  CompletionChoiceSchema,
  ChatChoiceSchema,
} from './openai-schemas';
