/**
 * `TransformerPolicy`: the Llama/Qwen2 decoder as an oreal-ts `TrainablePolicy` — per-token
 * log-probs, KV-cache decoding, training (AdamW + warm-up/cosine + clipping + accumulation) and
 * Hugging Face checkpoints.
 */
import type { FusedAttentionMode } from './ops/fused-attention';
import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError, type DecodingSession, type PerTokenValues, type TokenBatch, type TrainablePolicy } from '@oreal-ts/core';
import { dimensionsOf, parseTransformerConfig, type TransformerConfig, type TransformerConfigInput } from './config';
import { huggingFaceParts, type HuggingFacePart } from './checkpoint/hf-names';
import { parameterSpecs } from './model/parameters';
import { assertWeightsFit, backendHeapLimit } from './checkpoint/memory-budget';
import { TrainableDecoder, readTrainerState } from './model/trainable-decoder';
import type { PackedPromptResponse } from './model/inputs';
import { lmLogits, tokenLogProbs } from './model/transformer';
import { KeyValueDecodingSession } from './decoding-session';
import type { DecodeAttentionMode } from './model/kernel-attention';
import type { TrainingOptions } from './training/options';
import type { ReloadWeightsOptions } from './checkpoint/weight-reload';
import type { HostTensor } from './training/parameter-trainer';

/** Options of `createTransformerPolicy`. */
export interface TransformerPolicyOptions {
  /** Seed of the initial weights (default 0). The same seed gives bit-identical weights. */
  readonly seed?: number;
  /** Optimiser and schedule options (defaults in `TrainingOptions`). */
  readonly training?: Partial<TrainingOptions>;
  /** Component id (default `oreal-ts/tensor-model/<model_type>`). */
  readonly id?: string;
  /** Backpropagate at most this many rows at once (costs one extra no-gradient forward). Default: whole batch. */
  readonly microBatchSize?: number;
  /**
   * Attention of decode steps: `kernel` (the wasm SIMD kernel, for CPU backends), `tensors`
   * (TensorFlow.js ops) or `auto` (the kernel on wasm/cpu). Default: `OREAL_DECODE_ATTENTION`, else `auto`.
   */
  readonly decodeAttention?: DecodeAttentionMode;
  /**
   * Attention of forwards without a cache (training, log-probs): `kernel` (fused wasm SIMD
   * kernel), `tensors` (TensorFlow.js ops) or `auto`. Default: `OREAL_FUSED_ATTENTION`, else
   * `auto` (the kernel on wasm). The two differ at float rounding; pin one to reproduce a run.
   */
  readonly fusedAttention?: FusedAttentionMode;
}

/** A trainable Llama/Qwen2 policy. */
export interface TransformerPolicy extends TrainablePolicy {
  readonly config: TransformerConfig;
  /** Current optimiser/schedule options. */
  readonly trainingOptions: TrainingOptions;
  /** Optimiser steps taken. */
  readonly step: number;
  /** Attention of forwards without a cache (the `fusedAttention` option; undefined: `OREAL_FUSED_ATTENTION`, else auto). Copied by `clone`. */
  fusedAttention: FusedAttentionMode | undefined;
  /** An independent copy of the weights with a fresh optimiser. */
  clone(options?: { training?: Partial<TrainingOptions>; id?: string }): TransformerPolicy;
  /** Change optimiser/schedule options; moments and step count are kept. */
  setTrainingOptions(training: Partial<TrainingOptions>): void;
  /** Final (normed) hidden states at the positions predicting each response token: `[row][t]` → C numbers. */
  hiddenStates(batch: TokenBatch): Promise<Float32Array[][]>;
  /** Logits of every position of left-padded rows: `[row][t]` → Float32Array(V) for the row's real tokens. */
  logits(rows: readonly (readonly number[])[]): Promise<Float32Array[][]>;
  /** Write the checkpoint (as `save`) with weights sharded above `maxShardBytes`, in `dtype` (default F32; BF16 truncates, so BF16-loaded weights save byte-identical). */
  save(dir: string, options?: { maxShardBytes?: number; dtype?: 'F32' | 'BF16' }): Promise<void>;
  /** The weights under their Hugging Face names and layouts (host copies), as `save` writes them. */
  huggingFaceWeights(): Map<string, HostTensor>;
  /** `config.json` content `save` writes. */
  configJson(): Record<string, unknown>;
  /**
   * Replace the weights in place from a checkpoint folder, checking every tensor before assigning
   * any (a failed reload keeps the old weights); `allowPartial` for deltas. Resolves with the tensors read.
   */
  reloadWeights(dir: string, options?: ReloadWeightsOptions): Promise<number>;
}

class Policy extends TrainableDecoder implements TransformerPolicy {
  readonly vocabSize: number;
  private readonly decodeAttention: DecodeAttentionMode | undefined;

  constructor(config: TransformerConfig, seed: number | null, options: Omit<TransformerPolicyOptions, 'seed'>) {
    const specs = parameterSpecs(dimensionsOf(config));
    super(config, options.id ?? `oreal-ts/tensor-model/${config.model_type}`, specs, seed, options.training ?? {}, 'policy');
    this.vocabSize = config.vocab_size;
    this.microBatchSize = options.microBatchSize;
    this.decodeAttention = options.decodeAttention;
    this.fusedAttention = options.fusedAttention;
  }

  protected huggingFaceParts(): HuggingFacePart[] {
    return huggingFaceParts(this.dimensions);
  }

  protected configExtras(): Record<string, unknown> {
    return { architectures: [this.config.model_type === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'] };
  }

  protected headValues(hidden: tf.Tensor3D, packed: PackedPromptResponse): tf.Tensor2D {
    const [batch, width, channels] = hidden.shape;
    const logits = lmLogits(this.parameters, this.dimensions, tf.reshape(hidden, [batch * width, channels])); // [B·R, V]
    const targets = tf.tensor1d(packed.targets, 'int32');
    return tf.reshape(tokenLogProbs(logits, targets), [batch, width]); // ℓ_t  [B, R]
  }

  logProbs(batch: TokenBatch): Promise<PerTokenValues> {
    return this.valuesWithoutGradient(batch);
  }

  async startDecoding(promptIds: readonly (readonly number[])[]): Promise<DecodingSession> {
    this.assertAlive();
    return new KeyValueDecodingSession(this, promptIds, this.decodeAttention);
  }

  /** Logits [N, V] from hidden [N, C] (used by the decoding session). */
  logitsFromHidden(hidden: tf.Tensor2D): tf.Tensor2D {
    return lmLogits(this.parameters, this.dimensions, hidden);
  }

  async hiddenStates(batch: TokenBatch): Promise<Float32Array[][]> {
    this.assertAlive();
    const packed = this.pack(batch);
    if (packed.responseWidth === 0) return packed.responseLengths.map(() => []);
    const hidden = tf.tidy(() => this.responseHidden(packed));
    const data = (await hidden.data()) as Float32Array;
    hidden.dispose();
    const c = this.dimensions.hidden;
    return packed.responseLengths.map((length, b) =>
      Array.from({ length }, (_, t) => data.slice((b * packed.responseWidth + t) * c, (b * packed.responseWidth + t + 1) * c)),
    );
  }

  async logits(rows: readonly (readonly number[])[]): Promise<Float32Array[][]> {
    const session = new KeyValueDecodingSession(this, rows, this.decodeAttention);
    try {
      return await session.allLogits();
    } finally {
      session.dispose();
    }
  }

  clone(options: { training?: Partial<TrainingOptions>; id?: string } = {}): TransformerPolicy {
    this.assertAlive();
    const copy = new Policy(this.config, null, {
      id: options.id ?? this.id,
      training: { ...this.trainingOptions, ...options.training },
      ...(this.microBatchSize === undefined ? {} : { microBatchSize: this.microBatchSize }),
      ...(this.decodeAttention === undefined ? {} : { decodeAttention: this.decodeAttention }),
      ...(this.fusedAttention === undefined ? {} : { fusedAttention: this.fusedAttention }),
    });
    for (const [name, variable] of this.parameters) copy.parameters.get(name)?.assign(variable);
    return copy;
  }
}

/** Create a policy with freshly initialised weights (normal(0, initializer_range), seeded). */
export function createTransformerPolicy(config: TransformerConfigInput | TransformerConfig, options: TransformerPolicyOptions = {}): TransformerPolicy {
  return new Policy(parseTransformerConfig(config), options.seed ?? 0, options);
}

/** Read `config.json` of a checkpoint directory. */
export async function readCheckpointConfig(dir: string): Promise<TransformerConfig> {
  const file = join(dir, 'config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new CheckpointError(file, `cannot read config.json: ${(error as Error).message}`, { cause: error });
  }
  return parseTransformerConfig(raw, file);
}

/**
 * Load a policy from a Hugging Face-layout directory (`config.json` + weights). When the directory
 * also holds trainer state, training resumes exactly; `options.training` overrides saved options.
 * A model whose weights cannot fit the backend's heap (wasm: 4 GiB; `heapLimitBytes` overrides) is
 * refused from its config.json before any weight is read.
 */
export async function loadTransformerPolicy(
  dir: string,
  options: { training?: Partial<TrainingOptions>; id?: string; microBatchSize?: number; heapLimitBytes?: number; fusedAttention?: FusedAttentionMode } = {},
): Promise<TransformerPolicy> {
  const config = await readCheckpointConfig(dir);
  assertWeightsFit(dimensionsOf(config), tf.getBackend(), join(dir, 'config.json'), options.heapLimitBytes ?? backendHeapLimit(tf.getBackend()));
  const saved = await readTrainerState(dir);
  const { heapLimitBytes: _limit, ...policyOptions } = options;
  const policy = new Policy(config, null, { ...policyOptions, training: { ...saved?.options, ...options.training } });
  try {
    await policy.load(dir);
    if (options.training) policy.setTrainingOptions(options.training);
  } catch (error) {
    policy.dispose();
    throw error;
  }
  return policy;
}

