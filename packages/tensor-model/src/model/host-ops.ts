/**
 * Decode-step ops computed on the host for the backends whose tensors live in host memory (wasm,
 * cpu), where one small JS loop costs less than the TensorFlow.js ops it replaces: every op pays a
 * fixed dispatch cost (~4–8 µs on tfjs-wasm here), and tfjs-wasm's GatherV2 and broadcasting
 * binary ops are slow per element. Elsewhere (GPU, native) they are the usual ops. Inference only:
 * nothing here has a gradient. Call inside `tf.tidy`.
 */
import * as tf from '@tensorflow/tfjs';
import { rmsNorm } from './transformer';

/** Backends whose tensors live in host memory (reading one is a copy at most, not a device sync). */
const HOST_BACKENDS = new Set(['wasm', 'cpu']);

/** Whether the active backend keeps tensors in host memory. */
export function onHostBackend(): boolean {
  return HOST_BACKENDS.has(tf.getBackend());
}

interface HeapBackend {
  typedArrayFromHeap(tensor: tf.TensorInfo): Float32Array;
}

/**
 * A float32 tensor's values on the host: a view of the wasm heap (valid until the next tensor
 * allocation: read it before creating any tensor), else `dataSync` (no copy on cpu).
 */
export function hostValues(tensor: tf.Tensor): Float32Array {
  if (tf.getBackend() === 'wasm') {
    const backend = tf.backend() as unknown as Partial<HeapBackend>;
    if (typeof backend.typedArrayFromHeap === 'function') return backend.typedArrayFromHeap(tensor);
  }
  return tensor.dataSync() as Float32Array;
}

/**
 * Embedding rows of `ids` ([B] → [B, C]). On the host, copied out of the table (tfjs-wasm's
 * GatherV2 took 0.6 ms for 128 rows of 128, ~5 % of a batch-128 decode step).
 */
export function embedTokens(table: tf.Tensor2D, ids: Int32Array): tf.Tensor2D {
  if (!onHostBackend()) return tf.gather(table, tf.tensor1d(ids, 'int32'));
  const [rows, width] = table.shape;
  const values = hostValues(table);
  const out = new Float32Array(ids.length * width);
  ids.forEach((id, b) => {
    if (id < 0 || id >= rows) throw new Error(`internal: token id ${id} outside the embedding table of ${rows} rows`);
    out.set(values.subarray(id * width, (id + 1) * width), b * width);
  });
  return tf.tensor2d(out, [ids.length, width]);
}

/**
 * Largest B·C for which `addRmsNorm` runs as a JS loop. Measured per decode step of the sampler-bench
 * model (in one process, min of 12): batch 1 0.52 → 0.31 ms, batch 16 2.02 → 1.93 ms, but batch 128
 * (16,384 values) 13.0 → 13.6 ms: past a few thousand values the wasm ops' per-element speed wins.
 */
export const HOST_NORM_MAX_VALUES = 8192;

/**
 * The residual sum `x + delta` (just `x` without `delta`) and its RMSNorm
 * `sum / √(mean(sum²) + ε) · weight`, per row: x, delta [B, C], weight [C]. On the host (up to
 * `HOST_NORM_MAX_VALUES` values) one pass replaces the 7 ops (add, square, mean, add, rsqrt, two
 * multiplies); the mean square is summed in float64.
 */
export function addRmsNorm(x: tf.Tensor2D, delta: tf.Tensor2D | undefined, weight: tf.Tensor1D, eps: number): { sum: tf.Tensor2D; normed: tf.Tensor2D } {
  if (!onHostBackend() || x.size > HOST_NORM_MAX_VALUES) {
    const sum = delta ? (tf.add(x, delta) as tf.Tensor2D) : x;
    return { sum, normed: rmsNorm(sum, weight, eps) as tf.Tensor2D };
  }
  const [rows, width] = x.shape;
  const sum = hostValues(x).slice(); // a copy (slice, not Float32Array.from: that iterates); views must not outlive an allocation
  if (delta) {
    const d = hostValues(delta);
    for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (d[i] as number);
  }
  const w = hostValues(weight);
  const normed = new Float32Array(sum.length);
  for (let r = 0; r < rows; r++) {
    const offset = r * width;
    let squares = 0;
    for (let c = 0; c < width; c++) {
      const v = sum[offset + c] as number;
      squares += v * v;
    }
    const scale = 1 / Math.sqrt(squares / width + eps);
    for (let c = 0; c < width; c++) normed[offset + c] = (sum[offset + c] as number) * scale * (w[c] as number);
  }
  return { sum: delta ? tf.tensor2d(sum, [rows, width]) : x, normed: tf.tensor2d(normed, [rows, width]) };
}
