/**
 * Token embedding lookup whose gradient runs on every backend.
 *
 * `tf.gather`'s gradient needs the `UnsortedSegmentSum` kernel, which the wasm backend lacks
 * (it throws). Forward uses `gather` (cheap, exact); the backward pass computes the table's
 * gradient as a one-hot product ∂E = onehot(ids)ᵀ · ∂y, i.e. [V, N]·[N, C], with an explicit
 * transpose so the fast 2-D matMul path is used.
 */
import * as tf from '@tensorflow/tfjs';

/** Rows of `table` [V, C] at `ids` (int32, any shape [...]) → [..., C]. */
export function embed(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  const flat = tf.reshape(ids, [-1]) as tf.Tensor1D; // [N]
  const vocab = table.shape[0];
  const lookup = tf.customGrad((t, save) => {
    (save as tf.GradSaveFunc)([flat]);
    return {
      value: tf.gather(t as tf.Tensor2D, flat), // [N, C]
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedIds] = saved as [tf.Tensor1D];
        const oneHotT = tf.transpose(tf.cast(tf.oneHot(savedIds, vocab), 'float32')) as tf.Tensor2D; // [V, N]
        return [tf.matMul(oneHotT, dy as tf.Tensor2D)]; // [V, C]
      },
    };
  });
  const rows = lookup(table) as tf.Tensor2D;
  return tf.reshape(rows, [...ids.shape, table.shape[1]]);
}
