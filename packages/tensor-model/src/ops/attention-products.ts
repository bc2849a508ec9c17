/**
 * The two batched products of attention, q·kᵀ and p·v, as a swappable formulation.
 * See README "Speed" for the measured alternatives.
 */
import type * as tf from '@tensorflow/tfjs';
import { batchedMatMul } from './matmul';

/** Attention scores: q [G, M, D] · kᵀ [G, D, N] → [G, M, N]. */
export function attentionScores(query: tf.Tensor3D, keysTransposed: tf.Tensor3D): tf.Tensor3D {
  return batchedMatMul(query, keysTransposed);
}

/** Attention output: p [G, M, N] · v [G, N, D] → [G, M, D]. */
export function attentionValues(probabilities: tf.Tensor3D, values: tf.Tensor3D): tf.Tensor3D {
  return batchedMatMul(probabilities, values);
}
