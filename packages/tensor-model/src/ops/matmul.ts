/**
 * Matrix products whose gradients never use the `transposeA`/`transposeB` flags.
 *
 * On the wasm backend a matMul with a transpose flag is 10–25× slower than transposing explicitly
 * first (tech-notes), and tfjs's built-in matMul gradient uses those flags. This version
 * transposes explicitly in the backward pass (batched products: `attention-products.ts`):
 *   y = a·b,  ∂a = ∂y·bᵀ,  ∂b = aᵀ·∂y.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * ∂b = aᵀ·∂y for a [M, K], ∂y [M, N] → [K, N].
 *
 * On wasm, XNNPACK packs a product's right operand into its own layout on every call with a new
 * tensor, and packing a tall [M, ·] operand costs more than the product itself (measured: [2048,
 * 352] as the right operand, 10.3 ms a call vs 4.1 ms when it is already packed). So the shorter
 * of a and ∂y is made the right operand: when K ≤ N, ∂b = (∂yᵀ·a)ᵀ, which packs a [M, K] instead
 * of ∂y [M, N] (4.4 ms). Each entry is the same sum over m in the same order either way.
 * K = N goes the same way: products that share their input (q, k and v; gate and up) then share
 * its packing, since XNNPACK caches a packed operand by tensor data and the saved copies of that
 * input share one buffer (`ops/wasm-kernels.ts`, Identity).
 */
function weightGradient(a: tf.Tensor2D, dy: tf.Tensor2D): tf.Tensor2D {
  if (a.shape[1] <= dy.shape[1] && tf.getBackend() === 'wasm') return tf.transpose(tf.matMul(tf.transpose(dy), a)) as tf.Tensor2D;
  return tf.matMul(tf.transpose(a), dy);
}

const matMul2dWithGradient = tf.customGrad((a, b, save) => {
  const a2 = a as tf.Tensor2D;
  const b2 = b as tf.Tensor2D;
  (save as tf.GradSaveFunc)([a2, b2]);
  return {
    value: tf.matMul(a2, b2),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)), weightGradient(sa, dy as tf.Tensor2D)];
    },
  };
});

/** `a·b` for 2-D tensors: a [M, K], b [K, N] → [M, N], with a transpose-flag-free gradient. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matMul2dWithGradient(a, b) as tf.Tensor2D;
}

/**
 * `x·w (+ bias)` over the last axis: x [..., K], w [K, N], bias [N] → [..., N].
 * Flattens the leading axes into one 2-D product.
 */
export function linear(x: tf.Tensor, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor {
  const inner = x.shape[x.shape.length - 1] as number;
  const outer = x.shape.slice(0, -1);
  const flat = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, inner]) as tf.Tensor2D;
  let y: tf.Tensor = matMul2d(flat, weight);
  if (bias) y = tf.add(y, bias);
  return x.rank === 2 ? y : tf.reshape(y, [...outer, weight.shape[1]]);
}

/**
 * `x·c` for a constant matrix c [K, N] (not trained): gradient only for x, ∂x = ∂y·cᵀ with an
 * explicit transpose. x [M, K] → [M, N].
 */
export function matMulByConstant(x: tf.Tensor2D, constant: tf.Tensor2D): tf.Tensor2D {
  const product = tf.customGrad((input, save) => {
    (save as tf.GradSaveFunc)([constant]);
    return {
      value: tf.matMul(input as tf.Tensor2D, constant),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.matMul(dy as tf.Tensor2D, tf.transpose(saved[0] as tf.Tensor2D))],
    };
  });
  return product(x) as tf.Tensor2D;
}
