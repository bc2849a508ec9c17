/**
 * The key/value cache of a decoding session, laid out so that a decode step's two products take
 * the cache as their LEFT operand and append without copying it.
 *
 * Per layer, with N = B·H_kv rows (n = b·H_kv + j) and a capacity ≥ the number of keys:
 *   keys               [N, capacity, D]   (scores = keys · q,  [N, capacity, G])
 *   valuesTransposed   [N, D, capacity]   (output = valuesᵀ · p, [N, D, G])
 * Slots at and past the current length are zeros; the attention bias masks them (MASKED), so
 * their probabilities are exactly 0 and the results equal attention over the valid keys.
 *
 * Appending one step:
 *   - on wasm, in place: the new key and value are written into the tensors' wasm heap memory
 *     (N small copies and N·D scalar writes). When full, the capacity grows by `CAPACITY_CHUNK`
 *     (one `tf.pad` copy every CAPACITY_CHUNK steps). Concatenating instead re-copied the whole
 *     cache every step, row by row in JS for the time-last layout: ~25% of a batch-16 step, profiled.
 *     In-place writes are safe because the cache is only ever read as an elementwise/left matMul
 *     input, which no backend caches (tfjs-wasm caches packed RIGHT matMul operands by tensor id).
 *   - elsewhere, by concatenation (capacity = length, no padding).
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerCache } from './transformer';

/** One layer's decoding cache (see the file comment). */
export interface LayerDecodingCache {
  /** [N, capacity, D] */
  readonly keys: tf.Tensor3D;
  /** [N, D, capacity] */
  readonly valuesTransposed: tf.Tensor3D;
}

/** Slots added whenever an in-place cache is full (a trade-off: padded attention work vs. regrowth copies). */
export const CAPACITY_CHUNK = 16;

interface HeapBackend {
  typedArrayFromHeap(tensor: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The active backend when it exposes its tensors' memory (tfjs-backend-wasm), else undefined. */
function heapBackend(): HeapBackend | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as Partial<HeapBackend>;
  return typeof backend.typedArrayFromHeap === 'function' ? (backend as HeapBackend) : undefined;
}

/** Whether appends are written in place (and capacity is kept ahead of the length). */
export function writesInPlace(): boolean {
  return heapBackend() !== undefined;
}

/** Capacity after appending one key to a cache of `length` keys and `capacity` slots. */
export function capacityAfterAppend(length: number, capacity: number): number {
  if (!writesInPlace()) return length + 1;
  return length < capacity ? capacity : length + CAPACITY_CHUNK;
}

/** A prefill cache (keys [B, H_kv, D, T], values [B, H_kv, T, D]) in the decoding layout. */
export function fromPrefillCache(cache: LayerCache): LayerDecodingCache {
  const [batch, kvHeads, headDim, length] = cache.keysTransposed.shape;
  const rows = batch * kvHeads;
  const spare = writesInPlace() ? CAPACITY_CHUNK : 0;
  const keys = tf.reshape(tf.transpose(cache.keysTransposed, [0, 1, 3, 2]), [rows, length, headDim]) as tf.Tensor3D;
  const valuesTransposed = tf.reshape(tf.transpose(cache.values, [0, 1, 3, 2]), [rows, headDim, length]) as tf.Tensor3D;
  if (spare === 0) return { keys, valuesTransposed };
  return {
    keys: tf.pad(keys, [[0, 0], [0, spare], [0, 0]]),
    valuesTransposed: tf.pad(valuesTransposed, [[0, 0], [0, 0], [0, spare]]),
  };
}

/**
 * Append one key and value per row (`key`, `value` [N, D]) at slot `length`; returns the cache to
 * use from now on (the same tensors when written in place, new ones otherwise). Its capacity is
 * `capacityAfterAppend(length, capacity)`.
 */
export function appendToCache(cache: LayerDecodingCache, length: number, key: tf.Tensor2D, value: tf.Tensor2D): LayerDecodingCache {
  const [rows, capacity, headDim] = cache.keys.shape;
  const backend = heapBackend();
  if (!backend) {
    if (length !== capacity) throw new Error(`internal: cache of capacity ${capacity} holds ${length} keys`);
    return {
      keys: tf.concat([cache.keys, tf.reshape(key, [rows, 1, headDim])], 1) as tf.Tensor3D,
      valuesTransposed: tf.concat([cache.valuesTransposed, tf.reshape(value, [rows, headDim, 1])], 2) as tf.Tensor3D,
    };
  }
  const next =
    length < capacity
      ? cache
      : {
          keys: tf.pad(cache.keys, [[0, 0], [0, CAPACITY_CHUNK], [0, 0]]),
          valuesTransposed: tf.pad(cache.valuesTransposed, [[0, 0], [0, 0], [0, CAPACITY_CHUNK]]),
        };
  const slots = next.keys.shape[1];
  // Views on the wasm heap, taken after every allocation above (growth of the heap detaches them).
  const keysHeap = backend.typedArrayFromHeap(next.keys) as Float32Array; // [N, slots, D]
  const keyHeap = backend.typedArrayFromHeap(key) as Float32Array; // [N, D]
  for (let n = 0; n < rows; n++) keysHeap.set(keyHeap.subarray(n * headDim, (n + 1) * headDim), (n * slots + length) * headDim);
  const valuesHeap = backend.typedArrayFromHeap(next.valuesTransposed) as Float32Array; // [N, D, slots]
  const valueHeap = backend.typedArrayFromHeap(value) as Float32Array; // [N, D]
  for (let i = 0; i < rows * headDim; i++) valuesHeap[i * slots + length] = valueHeap[i] as number;
  return next;
}

/** Tensors of a cache, for disposal. */
export function cacheTensors(cache: readonly LayerDecodingCache[]): tf.Tensor[] {
  return cache.flatMap((layer) => [layer.keys, layer.valuesTransposed]);
}
