/**
 * @oreal-ts/tinker — a TypeScript client for the Tinker training API (sessions, LoRA training
 * clients, forward / forward_backward / optim_step, weight saving and loading, sampling, futures)
 * and oreal-ts adapters over it. `wire` holds the zod schemas of every request/response body
 * (also exported one by one).
 */
export * as wire from './wire';
export * from './wire';
export {
  createTinkerServiceClient,
  SDK_VERSION,
  type TinkerServiceOptions,
  type TinkerServiceClient,
  type TrainingClient,
  type DatumLayout,
  type SamplingClient,
  type SampleInput,
  type LoraTrainingOptions,
} from './clients';
export { TinkerRequestError, redact, parseRetryAfter, backoffDelay, type TinkerErrorKind, type TinkerBackoff } from './transport';
export { datumFromSequence, tensorData, responseValues } from './datum';
export { createTinkerPolicy, TinkerOptimizerSchema, TINKER_STATE_FILE, type TinkerPolicy, type TinkerPolicyOptions, type TinkerOptimizerOptions } from './policy';
export { createTinkerSampler, type TinkerSamplerOptions } from './sampler';
export { renderPromptText, encodePromptIds, cutAtStop } from './prompt';
