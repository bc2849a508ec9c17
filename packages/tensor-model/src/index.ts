/**
 * @oreal-ts/tensor-model — a Llama/Qwen2-family decoder on TensorFlow.js: training, KV-cache
 * decoding, Hugging Face checkpoints and tokenizers. Implements `TrainablePolicy`, `TokenScorer`
 * and `Tokenizer` from @oreal-ts/core.
 */
export { initBackend, formatBackendReport, BACKEND_ORDER, type BackendName, type BackendReport, type BackendAttempt, type InitBackendOptions } from './backend';
export { decideWasmThreads, parseWasmThreads, MAX_AUTO_WASM_THREADS, type WasmThreadsDecision, type WasmThreadsRequest, type WasmThreadsEnvironment } from './wasm-threads';
export { WASM_KERNELS_ENV, parseWasmKernels, type WasmKernelsChoice } from './ops/wasm-kernels';
export { TransformerConfigSchema, parseTransformerConfig, dimensionsOf, type TransformerConfig, type TransformerConfigInput, type ModelDimensions } from './config';
export { createTransformerPolicy, loadTransformerPolicy, readCheckpointConfig, type TransformerPolicy, type TransformerPolicyOptions } from './policy';
export { FUSED_ATTENTION_ENV, type FusedAttentionMode } from './ops/fused-attention';
export { DECODE_ATTENTION_ENV, type DecodeAttentionMode } from './model/kernel-attention';
export { DecodeAttentionKernel, decodeAttentionSupported, type DecodeAttentionShape } from './kernels/decode-attention';
export { createTokenScorer, loadTokenScorer, type TransformerTokenScorer } from './token-scorer';
export { TrainingOptionsSchema, resolveTrainingOptions, type TrainingOptions } from './training/options';
export { scheduledLearningRate } from './training/schedule';
export { createCharTokenizer, CHARACTER_TOKENIZER_TYPE, type CharTokenizer, type CharTokenizerOptions } from './tokenizer/char-tokenizer';
export { createHuggingFaceTokenizer, type HuggingFaceTokenizerOptions } from './tokenizer/hf-tokenizer';
export { loadTokenizer } from './tokenizer/load-tokenizer';
export { decodeSafetensors, encodeSafetensors, MAX_HEADER_BYTES } from './checkpoint/safetensors';
export {
  readCheckpointTensors,
  writeCheckpointTensors,
  readSafetensorsFile,
  openSafetensorsFile,
  WEIGHTS_FILE,
  WEIGHTS_INDEX_FILE,
  type SafetensorsReader,
  type WriteWeightsOptions,
} from './checkpoint/checkpoint-files';
export { assertWeightsFit, weightBytes, backendHeapLimit, WASM_HEAP_LIMIT_BYTES } from './checkpoint/memory-budget';
export type { HostTensor } from './training/parameter-trainer';
export { float32Sha256, type ReloadWeightsOptions } from './checkpoint/weight-reload';
export { createCheckpointPublisher, type CheckpointPublisher, type CheckpointPublisherOptions, type PublishablePolicy } from './publish/checkpoint-publisher';
export {
  PublishedVersionSchema,
  PUBLISHED_WEIGHTS_FORMAT,
  VERSION_FILE,
  describePublishedFolder,
  folderSha256,
  hasPublishedVersion,
  publishedFolderName,
  readPublishedVersion,
  type PublishedVersion,
} from './publish/published-version';
