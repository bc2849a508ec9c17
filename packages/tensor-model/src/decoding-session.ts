/**
 * Incremental decoding with a key/value cache.
 *
 * Prompts are left-padded to the longest; position ids count only real tokens
 * (cumsum(mask) − 1), so a padded row decodes exactly as it would alone. `prefill()` runs the
 * prompts once and caches every layer's keys and values (layout and in-place appends:
 * `model/decoding-cache.ts`); each `step()` runs one new token per row against the cache
 * (`model/decode-step.ts`) and appends.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, type DecodingSession } from '@oreal-ts/core';
import { checkIds, leftPad, type PackedRows } from './model/inputs';
import { cacheTensors, fromPrefillCache, type LayerDecodingCache } from './model/decoding-cache';
import type { TrainableDecoder } from './model/trainable-decoder';

/** What the session needs from its model. */
export interface DecodingModel extends TrainableDecoder {
  logitsFromHidden(hidden: tf.Tensor2D): tf.Tensor2D;
}

/** A `DecodingSession` over a model's KV cache. */
export class KeyValueDecodingSession implements DecodingSession {
  readonly batchSize: number;
  private cache: LayerDecodingCache[] | undefined;
  private keyMask: Uint8Array;
  private keys = 0;
  private readonly nextPosition: Int32Array;
  private readonly packed: PackedRows;
  private disposed = false;

  constructor(
    private readonly model: DecodingModel,
    promptIds: readonly (readonly number[])[],
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
    this.keyMask = new Uint8Array(0);
    this.nextPosition = Int32Array.from(promptIds, (row) => row.length);
  }

  /** Use `next` from now on; dispose the previous cache's tensors that `next` does not reuse (appends are in place on wasm). */
  private replaceCache(next: LayerDecodingCache[]): void {
    const previous = this.cache;
    this.cache = next;
    if (!previous) return;
    const kept = new Set(cacheTensors(next));
    tf.dispose(cacheTensors(previous).filter((tensor) => !kept.has(tensor)));
  }

  private async rowsOf(logits: tf.Tensor2D): Promise<Float32Array[]> {
    try {
      const data = (await logits.data()) as Float32Array;
      const vocab = logits.shape[1];
      return Array.from({ length: this.batchSize }, (_, b) => data.slice(b * vocab, (b + 1) * vocab));
    } finally {
      logits.dispose();
    }
  }

  async prefill(): Promise<Float32Array[]> {
    if (this.disposed) throw new InvalidArgumentError('session', 'was disposed');
    if (this.cache) throw new InvalidArgumentError('session', 'prefill() was already called');
    const { batchSize, length, ids, positions, mask } = this.packed;
    const result = tf.tidy(() => {
      const { hidden, cache } = this.model.runDecoder(batchSize, length, ids, positions, mask, 0);
      const last = tf.reshape(tf.slice(hidden, [0, length - 1, 0], [batchSize, 1, -1]), [batchSize, -1]) as tf.Tensor2D; // [B, C]
      return { logits: this.model.logitsFromHidden(last), cache: cacheTensors(cache.map(fromPrefillCache)) };
    });
    this.replaceCache(unflatten(result.cache));
    this.keyMask = mask.slice();
    this.keys = length;
    return this.rowsOf(result.logits);
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
      return { logits: this.model.logitsFromHidden(hidden), cache: cacheTensors(next) };
    });
    this.replaceCache(unflatten(result.cache));
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
    if (this.cache) tf.dispose(cacheTensors(this.cache));
    this.cache = undefined;
  }
}

function unflatten(tensors: tf.Tensor[]): LayerDecodingCache[] {
  const out: LayerDecodingCache[] = [];
  for (let i = 0; i < tensors.length; i += 2) out.push({ keys: tensors[i] as tf.Tensor3D, valuesTransposed: tensors[i + 1] as tf.Tensor3D });
  return out;
}
