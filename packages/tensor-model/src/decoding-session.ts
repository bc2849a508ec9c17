/**
 * Incremental decoding with a key/value cache.
 *
 * Prompts are left-padded to the longest; position ids count only real tokens
 * (cumsum(mask) − 1), so a padded row decodes exactly as it would alone. `prefill()` runs the
 * prompts once and caches every layer's keys and values; each `step()` runs one new token per row
 * against the cache (`model/decode-step.ts`) and appends. The cache is the wasm attention kernel's
 * memory on CPU backends (`model/kernel-attention.ts`), else TensorFlow.js tensors
 * (`model/decoding-cache.ts`, in-place appends on wasm).
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, type DecodingSession } from '@oreal-ts/core';
import { checkIds, leftPad, type PackedRows } from './model/inputs';
import { cacheTensors, fromPrefillCache, type LayerDecodingCache } from './model/decoding-cache';
import { kernelFromPrefill, resolveDecodeAttention, type DecodeAttentionMode } from './model/kernel-attention';
import type { DecodeAttentionKernel } from './kernels/decode-attention';
import type { DecodeCache, TrainableDecoder } from './model/trainable-decoder';

/** What the session needs from its model. */
export interface DecodingModel extends TrainableDecoder {
  logitsFromHidden(hidden: tf.Tensor2D): tf.Tensor2D;
}

/** A `DecodingSession` over a model's KV cache. */
export class KeyValueDecodingSession implements DecodingSession {
  readonly batchSize: number;
  /** How this session's steps attend (chosen when it starts). */
  readonly attention: 'kernel' | 'tensors';
  private cache: DecodeCache | undefined;
  private keyMask: Uint8Array;
  private keys = 0;
  private readonly nextPosition: Int32Array;
  private readonly packed: PackedRows;
  /** Distinct prompts, when some rows share one (prefilled once). */
  private readonly shared: ReturnType<typeof sharedPrompts>;
  private disposed = false;

  constructor(
    private readonly model: DecodingModel,
    promptIds: readonly (readonly number[])[],
    attention?: DecodeAttentionMode,
  ) {
    if (promptIds.length === 0) throw new InvalidArgumentError('promptIds', 'needs at least one row');
    promptIds.forEach((row, r) => {
      if (row.length === 0) throw new InvalidArgumentError('promptIds', `row ${r} is empty; every prompt needs at least one token (e.g. BOS)`);
    });
    checkIds(promptIds, model.dimensions.vocabSize, 'promptIds');
    this.packed = leftPad(promptIds);
    if (this.packed.length > model.maxSequenceLength) {
      throw new InvalidArgumentError('promptIds', `prompt of ${this.packed.length} tokens exceeds max_position_embeddings ${model.maxSequenceLength}`);
    }
    this.batchSize = promptIds.length;
    this.shared = sharedPrompts(promptIds);
    this.attention = resolveDecodeAttention(model.dimensions, attention);
    this.keyMask = new Uint8Array(0);
    this.nextPosition = Int32Array.from(promptIds, (row) => row.length);
  }

  /** Use `next` from now on; dispose the previous cache's tensors that `next` does not reuse (appends are in place on wasm). */
  private replaceCache(next: DecodeCache): void {
    const previous = this.cache;
    this.cache = next;
    if (previous?.kind !== 'tensors') return;
    const kept = new Set(next.kind === 'tensors' ? cacheTensors(next.layers) : []);
    tf.dispose(cacheTensors(previous.layers).filter((tensor) => !kept.has(tensor)));
  }

  private async rowsOf(logits: tf.Tensor2D): Promise<Float32Array[]> {
    try {
      const data = (await logits.data()) as Float32Array;
      const [rows, vocab] = logits.shape;
      return Array.from({ length: rows }, (_, b) => data.slice(b * vocab, (b + 1) * vocab));
    } finally {
      logits.dispose();
    }
  }

  async prefill(): Promise<Float32Array[]> {
    if (this.disposed) throw new InvalidArgumentError('session', 'was disposed');
    if (this.cache) throw new InvalidArgumentError('session', 'prefill() was already called');
    const { batchSize, length, mask } = this.packed;
    // Rows with the same prompt (best-of-N: K samples per problem) share one prefill row; the
    // cache and logits are then gathered back to every row. Each row's numbers do not depend on
    // the other rows, and the padded width (the longest prompt) is the same.
    const shared = this.shared;
    const unique = shared ? leftPad(shared.prompts) : this.packed;
    // The kernel is kept out of tf.tidy's result: tidy walks every property of what it returns.
    let kernel: DecodeAttentionKernel | undefined;
    const result = tf.tidy(() => {
      const run = this.model.runDecoder(unique.batchSize, length, unique.ids, unique.positions, unique.mask, 0);
      const last = tf.reshape(tf.slice(run.hidden, [0, length - 1, 0], [unique.batchSize, 1, -1]), [unique.batchSize, -1]) as tf.Tensor2D; // [B_unique, C]
      const logits = this.model.logitsFromHidden(last); // [B_unique, V]
      if (this.attention === 'kernel') {
        kernel = kernelFromPrefill(this.model.dimensions, run.cache, batchSize, shared?.rowOf);
        return { logits, cache: [] };
      }
      const rows = shared ? tf.tensor1d(shared.rowOf, 'int32') : undefined;
      const cache = rows ? run.cache.map((layer) => ({ keysTransposed: tf.gather(layer.keysTransposed, rows), values: tf.gather(layer.values, rows) })) : run.cache;
      return { logits, cache: cacheTensors(cache.map(fromPrefillCache)) };
    });
    this.replaceCache(kernel ? { kind: 'kernel', kernel } : { kind: 'tensors', layers: unflatten(result.cache) });
    this.keyMask = mask.slice();
    this.keys = length;
    const uniqueRows = await this.rowsOf(result.logits);
    return shared ? Array.from(shared.rowOf, (index) => (uniqueRows[index] as Float32Array).slice()) : uniqueRows;
  }

  async step(tokenIds: readonly number[]): Promise<Float32Array[]> {
    if (this.disposed) throw new InvalidArgumentError('session', 'was disposed');
    if (!this.cache) throw new InvalidArgumentError('session', 'call prefill() before step()');
    if (tokenIds.length !== this.batchSize) throw new InvalidArgumentError('tokenIds', `has ${tokenIds.length} ids; expected one per row (${this.batchSize})`);
    checkIds([tokenIds], this.model.dimensions.vocabSize, 'tokenIds');
    const maxPosition = Math.max(...this.nextPosition);
    if (maxPosition + 1 > this.model.maxSequenceLength) {
      throw new InvalidArgumentError('session', `sequence would exceed max_position_embeddings ${this.model.maxSequenceLength}`);
    }
    const keys = this.keys + 1;
    const keyMask = new Uint8Array(this.batchSize * keys);
    for (let b = 0; b < this.batchSize; b++) {
      keyMask.set(this.keyMask.subarray(b * this.keys, (b + 1) * this.keys), b * keys);
      keyMask[b * keys + this.keys] = 1;
    }
    const ids = Int32Array.from(tokenIds);
    const positions = this.nextPosition.slice();
    const cache = this.cache;
    const result = tf.tidy(() => {
      const { hidden, cache: next } = this.model.runDecodeStep(ids, positions, keyMask, cache);
      return { logits: this.model.logitsFromHidden(hidden), cache: next.kind === 'tensors' ? cacheTensors(next.layers) : [] };
    });
    // The kernel's cache is updated in place; the tensor cache comes back as new (or reused) tensors.
    this.replaceCache(cache.kind === 'kernel' ? cache : { kind: 'tensors', layers: unflatten(result.cache) });
    this.keyMask = keyMask;
    this.keys = keys;
    for (let b = 0; b < this.batchSize; b++) this.nextPosition[b] = (this.nextPosition[b] as number) + 1;
    return this.rowsOf(result.logits);
  }

  /** Logits at every real prompt position (no cache kept): `[row][t]`, used for full-forward checks. */
  async allLogits(): Promise<Float32Array[][]> {
    const { batchSize, length, ids, positions, mask } = this.packed;
    const logits = tf.tidy(() => {
      const { hidden } = this.model.runDecoder(batchSize, length, ids, positions, mask, 0);
      return this.model.logitsFromHidden(tf.reshape(hidden, [batchSize * length, -1]) as tf.Tensor2D);
    });
    const data = (await logits.data()) as Float32Array;
    const vocab = logits.shape[1];
    logits.dispose();
    const out: Float32Array[][] = [];
    for (let b = 0; b < batchSize; b++) {
      const row: Float32Array[] = [];
      for (let t = 0; t < length; t++) if (mask[b * length + t]) row.push(data.slice((b * length + t) * vocab, (b * length + t + 1) * vocab));
      out.push(row);
    }
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.cache?.kind === 'tensors') tf.dispose(cacheTensors(this.cache.layers));
    if (this.cache?.kind === 'kernel') this.cache.kernel.dispose();
    this.cache = undefined;
  }
}

/** Distinct prompts and, per row, the index of its prompt among them; undefined when all rows differ. */
export function sharedPrompts(promptIds: readonly (readonly number[])[]): { prompts: (readonly number[])[]; rowOf: Int32Array } | undefined {
  const indexOf = new Map<string, number>();
  const prompts: (readonly number[])[] = [];
  const rowOf = Int32Array.from(promptIds, (row) => {
    const key = row.join(',');
    let index = indexOf.get(key);
    if (index === undefined) {
      index = prompts.length;
      indexOf.set(key, index);
      prompts.push([...row]);
    }
    return index;
  });
  return prompts.length < promptIds.length ? { prompts, rowOf } : undefined;
}

function unflatten(tensors: tf.Tensor[]): LayerDecodingCache[] {
  const out: LayerDecodingCache[] = [];
  for (let i = 0; i < tensors.length; i += 2) out.push({ keys: tensors[i] as tf.Tensor3D, valuesTransposed: tensors[i + 1] as tf.Tensor3D });
  return out;
}
