/**
 * The two batched products of attention, q·kᵀ and p·v, in the fastest formulation measured for
 * the active backend.
 *
 * On wasm, a rank-3 `tf.matMul` runs a naive blocked loop (`slow_batch_matmul`, no XNNPACK) while
 * only batch-1 products reach XNNPACK. A depthwise 2-D convolution, however, goes to XNNPACK's
 * grouped convolution, and a batched product is exactly a depthwise convolution:
 *
 *   y[g, m, n] = Σ_k a[g, m, k] · b[g, k, n]
 *     = depthwiseConv2d(input [1, M, K, G] (a with g as channel), filter [1, K, G, N] (b), 'valid')
 *
 * (channel g, a 1×K window over k, channel multiplier N; the output [1, M, 1, G·N] is y).
 * Measured 1.7–3× faster than the rank-3 matMul on wasm (README "Speed"); exact same sums up to
 * float rounding. Other backends (cpu, tensorflow) keep `tf.matMul`, which is fine there.
 * Gradients use the same primitive on explicitly transposed operands:
 *   ∂a = ∂y · bᵀ,  ∂b = aᵀ · ∂y.
 */
import * as tf from '@tensorflow/tfjs';

/** How batched products are computed: `auto` picks per backend (depthwise on wasm, matMul elsewhere). */
export type BatchedProductFormulation = 'auto' | 'matmul' | 'depthwise';

let formulation: BatchedProductFormulation = 'auto';

/** Choose the batched-product formulation (for benchmarks and tests); returns the previous one. */
export function setBatchedProductFormulation(next: BatchedProductFormulation): BatchedProductFormulation {
  const previous = formulation;
  formulation = next;
  return previous;
}

/**
 * Below this many rows per group (e.g. one query per step when decoding with a cache), the rank-3
 * matMul's loop is cheap and the convolution's per-call cost (XNNPACK packs the filter, i.e. the
 * whole key/value cache, on every call) dominates, so `auto` keeps matMul.
 */
const DEPTHWISE_MIN_ROWS = 16;

function useDepthwise(rows: number): boolean {
  return formulation === 'depthwise' || (formulation === 'auto' && rows >= DEPTHWISE_MIN_ROWS && tf.getBackend() === 'wasm');
}

/** a [G, M, K] · b [G, K, N] → [G, M, N] as a depthwise convolution (see the file comment). */
export function batchedProductByDepthwise(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const [groups, rows, inner] = a.shape;
  const columns = b.shape[2];
  const input = tf.reshape(tf.transpose(a, [1, 2, 0]), [1, rows, inner, groups]) as tf.Tensor4D; // [1, M, K, G]
  const filter = tf.reshape(tf.transpose(b, [1, 0, 2]), [1, inner, groups, columns]) as tf.Tensor4D; // [1, K, G, N]
  const out = tf.depthwiseConv2d(input, filter, 1, 'valid'); // [1, M, 1, G·N]
  return tf.transpose(tf.reshape(out, [rows, groups, columns]), [1, 0, 2]) as tf.Tensor3D; // [G, M, N]
}

function product(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  return useDepthwise(a.shape[1]) ? batchedProductByDepthwise(a, b) : tf.matMul(a, b);
}

const batchedProductWithGradient = tf.customGrad((a, b, save) => {
  const a3 = a as tf.Tensor3D;
  const b3 = b as tf.Tensor3D;
  (save as tf.GradSaveFunc)([a3, b3]);
  return {
    value: product(a3, b3),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor3D, tf.Tensor3D];
      return [
        product(dy as tf.Tensor3D, tf.transpose(sb, [0, 2, 1])), // ∂a = ∂y · bᵀ   [G, M, K]
        product(tf.transpose(sa, [0, 2, 1]), dy as tf.Tensor3D), // ∂b = aᵀ · ∂y   [G, K, N]
      ];
    },
  };
});

/** Batched product a [G, M, K] · b [G, K, N] → [G, M, N] in the fastest formulation, transpose-flag-free gradient. */
export function batchedProduct(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  return batchedProductWithGradient(a, b) as tf.Tensor3D;
}

/** Attention scores: q [G, M, D] · kᵀ [G, D, N] → [G, M, N]. */
export function attentionScores(query: tf.Tensor3D, keysTransposed: tf.Tensor3D): tf.Tensor3D {
  return batchedProduct(query, keysTransposed);
}

/** Attention output: p [G, M, N] · v [G, N, D] → [G, M, D]. */
export function attentionValues(probabilities: tf.Tensor3D, values: tf.Tensor3D): tf.Tensor3D {
  return batchedProduct(probabilities, values);
}
