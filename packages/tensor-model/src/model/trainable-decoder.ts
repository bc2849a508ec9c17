/**
 * What the policy and the token scorer share: a decoder backbone's variables, a per-token head,
 * the optimiser (`ParameterTrainer`), the training step and the checkpoint I/O.
 */
import type { FusedAttentionMode } from '../ops/fused-attention';
import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  CheckpointError,
  InvalidArgumentError,
  type LossWithGradient,
  type OptimizerStepReport,
  type PerTokenLoss,
  type PerTokenValues,
  type TokenBatch,
} from '@oreal-ts/core';
import { writeFileAtomic, writeJsonAtomic } from '@oreal-ts/core/node';
import { dimensionsOf, type ModelDimensions, type TransformerConfig } from '../config';
import { openCheckpointTensors, readSafetensorsFile } from '../checkpoint/checkpoint-files';
import { writeCheckpointTensors } from '../checkpoint/checkpoint-files';
import { encodeSafetensors } from '../checkpoint/safetensors';
import { checkHuggingFaceShapes, streamFromHuggingFace, toHuggingFace, type HuggingFacePart } from '../checkpoint/hf-names';
import { internalUpdates, readWeightsForReload, type ReloadWeightsOptions } from '../checkpoint/weight-reload';
import { ParameterTrainer, type HostTensor, type TrainerStateJson } from '../training/parameter-trainer';
import { resolveTrainingOptions, TrainingOptionsSchema, type TrainingOptions } from '../training/options';
import { checkIds, packPromptResponse, rotateHalfMatrix, rotaryTables, type PackedPromptResponse } from './inputs';
import { decodeStepInputs, decoderInputs } from './decoder-inputs';
import { decodeStepHidden, tensorStepAttention } from './decode-step';
import { kernelStepAttention } from './kernel-attention';
import type { DecodeAttentionKernel } from '../kernels/decode-attention';
import { capacityAfterAppend, type LayerDecodingCache } from './decoding-cache';
import { createParameters, sizeOf, type ParameterMap, type ParameterSpec } from './parameters';
import { decoderHidden, fuseWeights, type FusedLayerWeights, type LayerCache } from './transformer';

/** Optimiser state file (moments and pending accumulated gradients), beside the weights. */
export const OPTIMIZER_FILE = 'optimizer.safetensors';
/** Step count, options and accumulation count. */
export const TRAINER_STATE_FILE = 'trainer_state.json';

const TrainerStateSchema = z.object({
  format: z.literal('oreal-ts/trainer-state'),
  version: z.literal(1),
  step: z.number().int().min(0),
  accumulatedCalls: z.number().int().min(0),
  options: TrainingOptionsSchema,
});

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Read and validate `trainer_state.json` (or undefined when absent). */
export async function readTrainerState(dir: string): Promise<TrainerStateJson | undefined> {
  const file = join(dir, TRAINER_STATE_FILE);
  if (!(await exists(file))) return undefined;
  try {
    const parsed = TrainerStateSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
    return parsed.data;
  } catch (error) {
    throw new CheckpointError(file, `invalid trainer state: ${(error as Error).message}`, { cause: error });
  }
}

/** A decoding session's cache: TensorFlow.js tensors per layer, or the wasm attention kernel's memory. */
export type DecodeCache =
  | { readonly kind: 'tensors'; readonly layers: readonly LayerDecodingCache[] }
  | { readonly kind: 'kernel'; readonly kernel: DecodeAttentionKernel };

/** Base of the policy and the token scorer. */
export abstract class TrainableDecoder {
  readonly specificationVersion = 'v1' as const;
  readonly dimensions: ModelDimensions;
  readonly parameters: ParameterMap;
  readonly parameterCount: number;
  protected readonly trainer: ParameterTrainer;
  protected readonly rotateHalf: tf.Tensor2D;
  private readonly variableToName = new Map<string, string>();
  private disposed = false;
  private fused: FusedLayerWeights[] | undefined;
  /**
   * Attention of forwards without a cache (training, log-probs): `kernel`, `tensors`, or `auto` /
   * undefined (then `OREAL_FUSED_ATTENTION`, else auto; see `ops/fused-attention.ts`).
   */
  fusedAttention: FusedAttentionMode | undefined;

  protected constructor(
    readonly config: TransformerConfig,
    readonly id: string,
    protected readonly specs: readonly ParameterSpec[],
    seed: number | null,
    training: Partial<TrainingOptions>,
    prefix: string,
  ) {
    this.dimensions = dimensionsOf(config);
    this.parameters = createParameters(specs, seed, config.initializer_range, prefix);
    for (const [name, variable] of this.parameters) this.variableToName.set(variable.name, name);
    this.parameterCount = specs.reduce((total, spec) => total + sizeOf(spec.shape), 0);
    const decays = new Map(specs.map((spec) => [spec.name, spec.decay]));
    this.trainer = new ParameterTrainer(this.parameters, (name) => decays.get(name) ?? false, resolveTrainingOptions(training));
    this.rotateHalf = tf.tensor2d(rotateHalfMatrix(this.dimensions.headDim), [this.dimensions.headDim, this.dimensions.headDim]);
  }

  /** Longest prompt + response accepted (`max_position_embeddings`). */
  get maxSequenceLength(): number {
    return this.dimensions.maxPositions;
  }

  /** Current training options. */
  get trainingOptions(): TrainingOptions {
    return this.trainer.options;
  }

  /** Optimiser steps taken so far. */
  get step(): number {
    return this.trainer.stepCount;
  }

  /** Replace some training options (validated); the optimiser state is kept. */
  setTrainingOptions(training: Partial<TrainingOptions>): void {
    this.trainer.options = resolveTrainingOptions(this.trainer.options, training);
  }

  protected assertAlive(): void {
    if (this.disposed) throw new InvalidArgumentError('model', `${this.id} was disposed`);
  }

  /** The HF tensors of this model's checkpoint (head included). */
  protected abstract huggingFaceParts(): HuggingFacePart[];
  /** Extra `config.json` keys (architectures, …). */
  protected abstract configExtras(): Record<string, unknown>;
  /** Per-token values [B, R_max] (log-probs or scores) from final hidden states at response-predicting columns h [B, R_max, C]. */
  protected abstract headValues(hidden: tf.Tensor3D, packed: PackedPromptResponse): tf.Tensor2D;

  /**
   * Run the decoder on [B, T] new tokens after `past` cached keys (call inside `tf.tidy`).
   * `withCache: false` returns no cache (a forward whose keys are not kept: training, log-probs).
   */
  runDecoder(
    batchSize: number,
    time: number,
    ids: Int32Array,
    positions: Int32Array,
    keyMask: Uint8Array,
    past: number,
    cache?: readonly LayerCache[],
    withCache = true,
  ): { hidden: tf.Tensor3D; cache: LayerCache[] } {
    const inputs = decoderInputs(this.dimensions, this.rotateHalf, batchSize, time, ids, positions, keyMask, past);
    return decoderHidden(this.parameters, this.dimensions, inputs, cache, withCache, this.fusedAttention);
  }

  /**
   * One decoding step (call inside `tf.tidy`): one new token per row (`ids`, `positions` [B])
   * against the decoding cache; `keyMask` [B·T_k] covers the cached keys and this step's.
   * Returns final-normed hidden states [B, C] and the cache to use next (the kernel's is updated
   * in place; the tensor cache: see `decoding-cache.ts`).
   */
  runDecodeStep(ids: Int32Array, positions: Int32Array, keyMask: Uint8Array, cache: DecodeCache): { hidden: tf.Tensor2D; cache: DecodeCache } {
    const d = this.dimensions;
    if (cache.kind === 'kernel') {
      const { cos, sin } = rotaryTables(positions, d.headDim, d.ropeTheta);
      cache.kernel.beginStep(cos, sin, keyMask);
      const hidden = decodeStepHidden(this.parameters, d, ids, kernelStepAttention(cache.kernel), this.fusedWeights());
      return { hidden, cache };
    }
    const first = cache.layers[0];
    if (!first) throw new Error('internal: empty decoding cache');
    const length = keyMask.length / ids.length - 1;
    const capacity = capacityAfterAppend(length, first.keys.shape[1]);
    const inputs = decodeStepInputs(d, this.rotateHalf, ids, positions, keyMask, capacity);
    const next: LayerDecodingCache[] = [];
    const hidden = decodeStepHidden(this.parameters, d, ids, tensorStepAttention(d, inputs, cache.layers, next), this.fusedWeights());
    return { hidden, cache: { kind: 'tensors', layers: next } };
  }

  /** Fused q|k|v weights of decode steps, built on first use after each parameter change. */
  private fusedWeights(): FusedLayerWeights[] {
    if (!this.fused) {
      // Usually built inside a caller's tf.tidy: keep() so that scope does not dispose them.
      const built = tf
        .tidy(() => fuseWeights(this.parameters, this.dimensions).flatMap((l) => (l.queryKeyValueBias ? [l.queryKeyValue, l.queryKeyValueBias] : [l.queryKeyValue])))
        .map((tensor) => tf.keep(tensor));
      const perLayer = this.dimensions.qkvBias ? 2 : 1;
      this.fused = Array.from({ length: this.dimensions.layers }, (_, layer) => {
        const [queryKeyValue, queryKeyValueBias] = built.slice(layer * perLayer, (layer + 1) * perLayer) as [tf.Tensor2D, tf.Tensor1D | undefined];
        return queryKeyValueBias ? { queryKeyValue, queryKeyValueBias } : { queryKeyValue };
      });
    }
    return this.fused;
  }

  /** Drop the fused inference weights (parameters changed). */
  protected invalidateFused(): void {
    if (!this.fused) return;
    for (const layer of this.fused) tf.dispose([layer.queryKeyValue, ...(layer.queryKeyValueBias ? [layer.queryKeyValueBias] : [])]);
    this.fused = undefined;
  }

  /** Pack and validate a batch. */
  protected pack(batch: TokenBatch): PackedPromptResponse {
    checkIds(batch.promptIds, this.dimensions.vocabSize, 'batch.promptIds');
    checkIds(batch.responseIds, this.dimensions.vocabSize, 'batch.responseIds');
    const packed = packPromptResponse(batch.promptIds, batch.responseIds);
    if (packed.length + 1 > this.dimensions.maxPositions) {
      throw new InvalidArgumentError('batch', `prompt + response of ${packed.length + 1} tokens exceeds max_position_embeddings ${this.dimensions.maxPositions}`);
    }
    return packed;
  }

  /** Final hidden states at the columns whose outputs predict the response tokens: [B, R_max, C]. */
  protected responseHidden(packed: PackedPromptResponse): tf.Tensor3D {
    const { hidden } = this.runDecoder(packed.batchSize, packed.length, packed.ids, packed.positions, packed.mask, 0, undefined, false);
    return tf.slice(hidden, [0, packed.promptWidth - 1, 0], [packed.batchSize, packed.responseWidth, this.dimensions.hidden]);
  }

  protected perToken(packed: PackedPromptResponse): tf.Tensor2D {
    return this.headValues(this.responseHidden(packed), packed);
  }

  /** Split a [B·R_max] array into rows of each response's length. */
  protected static rows(flat: Float32Array | Int32Array | Uint8Array, packed: PackedPromptResponse): PerTokenValues {
    return packed.responseLengths.map((length, b) => Array.from(flat.subarray(b * packed.responseWidth, b * packed.responseWidth + length)));
  }

  /** Per-token values without recording gradients. */
  protected async valuesWithoutGradient(batch: TokenBatch): Promise<PerTokenValues> {
    this.assertAlive();
    const packed = this.pack(batch);
    if (packed.responseWidth === 0 || packed.batchSize === 0) return packed.responseLengths.map(() => []);
    const values = tf.tidy(() => this.perToken(packed));
    try {
      return TrainableDecoder.rows((await values.data()) as Float32Array, packed);
    } finally {
      values.dispose();
    }
  }

  private checkGradient(result: LossWithGradient, packed: PackedPromptResponse): Float32Array {
    const flat = new Float32Array(packed.batchSize * packed.responseWidth);
    if (!Array.isArray(result.gradient) || result.gradient.length !== packed.batchSize) {
      throw new InvalidArgumentError('loss', `returned a gradient with ${Array.isArray(result.gradient) ? result.gradient.length : 'no'} rows; expected ${packed.batchSize}`);
    }
    result.gradient.forEach((row, b) => {
      if (row.length !== packed.responseLengths[b]) {
        throw new InvalidArgumentError('loss', `gradient row ${b} has ${row.length} values; expected ${packed.responseLengths[b]} (the response length)`);
      }
      flat.set(row, b * packed.responseWidth);
    });
    return flat;
  }

  /** Backpropagate Σ g_t·v_t for one packed (micro-)batch with fixed per-token weights `weights` [B·R]. */
  private backward(packed: PackedPromptResponse, onValues: ((values: Float32Array) => Float32Array) | Float32Array): void {
    const variables = [...this.parameters.values()];
    const { value, grads } = tf.variableGrads(() => {
      const values = this.perToken(packed); // [B, R]
      const weights = typeof onValues === 'function' ? onValues(values.dataSync() as Float32Array) : onValues;
      const g = tf.tensor2d(weights, [packed.batchSize, packed.responseWidth]);
      return tf.sum(tf.mul(values, g)) as tf.Scalar; // Σ_t g_t · v_t (g is a constant: no gradient flows into it)
    }, variables);
    value.dispose();
    const named: tf.NamedTensorMap = {};
    for (const [variableName, gradient] of Object.entries(grads)) {
      const name = this.variableToName.get(variableName);
      if (name) named[name] = gradient;
      else gradient.dispose();
    }
    this.trainer.accumulate(named);
  }

  /** Micro-batch size for the backward pass; undefined = whole batch at once. */
  protected microBatchSize: number | undefined;

  /**
   * One forward (values read to JS), `loss(values)`, one backward of Σ gradient_t · value_t, added to
   * the accumulated gradients. With `microBatchSize` smaller than the batch, the values come from a
   * no-gradient forward and each micro-batch is then forwarded and backpropagated separately.
   */
  async accumulateGradients(batch: TokenBatch, loss: PerTokenLoss): Promise<LossWithGradient> {
    this.assertAlive();
    const packed = this.pack(batch);
    if (packed.responseWidth === 0 || packed.batchSize === 0) return loss(packed.responseLengths.map(() => []));
    const micro = this.microBatchSize;
    if (micro !== undefined && packed.batchSize > micro) {
      const values = await this.valuesWithoutGradient(batch);
      const result = loss(values);
      const gradient = this.checkGradient(result, { ...packed });
      for (let start = 0; start < packed.batchSize; start += micro) {
        const end = Math.min(packed.batchSize, start + micro);
        const part = this.pack({ promptIds: batch.promptIds.slice(start, end), responseIds: batch.responseIds.slice(start, end) });
        const weights = new Float32Array(part.batchSize * part.responseWidth);
        for (let b = 0; b < part.batchSize; b++) {
          const length = part.responseLengths[b] as number;
          weights.set(gradient.subarray((start + b) * packed.responseWidth, (start + b) * packed.responseWidth + length), b * part.responseWidth);
        }
        this.backward(part, weights);
      }
      return result;
    }
    let result: LossWithGradient | undefined;
    this.backward(packed, (values) => {
      result = loss(TrainableDecoder.rows(values, packed));
      return this.checkGradient(result, packed);
    });
    return result as LossWithGradient;
  }

  /** Clip, AdamW step with the scheduled learning rate, clear. See `ParameterTrainer.apply`. */
  async applyGradients(): Promise<OptimizerStepReport> {
    this.assertAlive();
    this.invalidateFused();
    return this.trainer.apply();
  }

  /** Drop accumulated gradients. */
  clearGradients(): void {
    this.trainer.clear();
  }

  /** Copies of all parameters in host memory. */
  hostParameters(): Map<string, HostTensor> {
    const out = new Map<string, HostTensor>();
    for (const [name, variable] of this.parameters) out.set(name, { shape: variable.shape, data: variable.dataSync() as Float32Array });
    return out;
  }

  /** Assign parameters from host memory (shapes must match). */
  setHostParameters(values: ReadonlyMap<string, HostTensor>): void {
    this.invalidateFused();
    for (const [name, host] of values) {
      const variable = this.parameters.get(name);
      if (!variable) continue;
      tf.tidy(() => variable.assign(tf.tensor(host.data, variable.shape, 'float32')));
    }
  }

  /** The weights under their Hugging Face names and layouts ([out, in] matrices), as `save` writes them (host copies). */
  huggingFaceWeights(): Map<string, HostTensor> {
    this.assertAlive();
    return toHuggingFace(this.huggingFaceParts(), this.hostParameters());
  }

  /**
   * Replace the weights in place from a checkpoint folder (HF layout) without touching the
   * optimiser: every tensor is read and checked first (`readWeightsForReload`: config.json,
   * missing/unexpected/mis-shaped/non-finite tensors, optional sha256s → `CheckpointError` naming
   * the file and tensor), and only then are the parameters assigned, so a failed reload leaves the
   * old weights bit-identical. `allowPartial` accepts a subset (a delta). Returns the tensors read.
   * Host memory peaks at one copy of the tensors read.
   */
  async reloadWeights(dir: string, options: ReloadWeightsOptions = {}): Promise<number> {
    this.assertAlive();
    const parts = this.huggingFaceParts();
    const tensors = await readWeightsForReload(dir, parts, this.dimensions, options);
    this.assertAlive();
    const variableOf = (name: string) => this.parameters.get(name) as tf.Variable;
    const updates = internalUpdates(
      parts,
      tensors,
      (name) => variableOf(name).shape,
      (name) => ({ shape: variableOf(name).shape, data: variableOf(name).dataSync() as Float32Array }),
    );
    this.invalidateFused();
    for (const [name, host] of updates) {
      const variable = this.parameters.get(name);
      if (!variable) throw new Error(`internal: parameter ${name} missing`);
      tf.tidy(() => variable.assign(tf.tensor(host.data, variable.shape, 'float32')));
    }
    return tensors.size;
  }

  /** Hugging Face `config.json` content. */
  configJson(): Record<string, unknown> {
    return { ...this.config, ...this.configExtras(), torch_dtype: 'float32' };
  }

  /** Write config.json, model.safetensors (HF names, F32), optimizer.safetensors and trainer_state.json, each atomically. */
  async save(dir: string, options: { maxShardBytes?: number; dtype?: 'F32' | 'BF16' } = {}): Promise<void> {
    this.assertAlive();
    await mkdir(dir, { recursive: true });
    const weights = toHuggingFace(this.huggingFaceParts(), this.hostParameters());
    await writeCheckpointTensors(dir, weights, {
      ...(options.maxShardBytes === undefined ? {} : { maxShardBytes: options.maxShardBytes }),
      ...(options.dtype === undefined ? {} : { dtype: options.dtype }),
    });
    const state = this.trainer.exportState();
    await writeFileAtomic(join(dir, OPTIMIZER_FILE), encodeSafetensors(state.tensors, { format: 'oreal-ts/optimizer' }));
    await writeJsonAtomic(join(dir, TRAINER_STATE_FILE), { format: 'oreal-ts/trainer-state', version: 1, ...state.json });
    await writeJsonAtomic(join(dir, 'config.json'), { ...this.configJson(), ...(options.dtype === 'BF16' ? { torch_dtype: 'bfloat16' } : {}) });
  }

  /**
   * Restore weights (HF layout; any missing/unexpected/mis-shaped tensor → one CheckpointError) and,
   * when present, the optimiser and schedule state. Without trainer files the optimiser starts fresh.
   */
  async load(dir: string): Promise<void> {
    this.assertAlive();
    const shapes = new Map(this.specs.map((spec) => [spec.name, spec.shape]));
    const reader = await openCheckpointTensors(dir);
    let state: Awaited<ReturnType<typeof readTrainerState>>;
    let optimizer: Map<string, HostTensor>;
    try {
      checkHuggingFaceShapes(this.huggingFaceParts(), reader.shapes, this.dimensions, dir);
      ({ state, optimizer } = await this.readOptimizerState(dir, shapes));
      // Weights stream in one parameter at a time, each replacing its variable at once, so peak
      // memory is the model plus one parameter (not a host copy of the whole checkpoint).
      this.invalidateFused();
      await streamFromHuggingFace(this.huggingFaceParts(), shapes, (name) => reader.read(name), (name, host) => this.replaceParameter(name, host));
    } finally {
      await reader.close();
    }
    if (state) this.trainer.importState(state, optimizer);
    else this.trainer.importState({ step: 0, accumulatedCalls: 0, options: this.trainer.options }, new Map());
  }

  /** Read and check `trainer_state.json` and `optimizer.safetensors` of `dir` (empty when absent). */
  private async readOptimizerState(dir: string, shapes: ReadonlyMap<string, readonly number[]>) {
    const state = await readTrainerState(dir);
    const optimizerFile = join(dir, OPTIMIZER_FILE);
    const optimizer = state && (await exists(optimizerFile)) ? await readSafetensorsFile(optimizerFile) : new Map<string, HostTensor>();
    for (const [key, tensor] of optimizer) {
      const name = key.slice(key.indexOf('.') + 1);
      const shape = shapes.get(name);
      if (!shape || shape.length !== tensor.shape.length || shape.some((n, i) => n !== tensor.shape[i])) {
        throw new CheckpointError(optimizerFile, `optimizer tensor '${key}' [${tensor.shape.join(', ')}] does not match parameter '${name}'`);
      }
    }
    return { state, optimizer };
  }

  /**
   * Replace one parameter's variable by a new one holding `host` (same name, shape checked): the
   * old variable is released first, so its memory is reused for the new one.
   */
  private replaceParameter(name: string, host: HostTensor): void {
    const old = this.parameters.get(name);
    if (!old) return;
    if (old.shape.length !== host.shape.length || old.shape.some((n, i) => n !== host.shape[i])) {
      throw new Error(`internal: parameter ${name} has shape [${old.shape.join(', ')}], got [${host.shape.join(', ')}]`);
    }
    const { name: variableName, trainable, shape } = old;
    old.dispose();
    const fresh = tf.tidy(() => tf.variable(tf.tensor(host.data, shape, 'float32'), trainable, variableName));
    this.parameters.set(name, fresh);
  }

  /** Release variables, optimiser state and caches. Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.invalidateFused();
    this.trainer.dispose();
    for (const variable of this.parameters.values()) variable.dispose();
    this.rotateHalf.dispose();
  }
}
