/**
 * Full-sequence attention through the wasm SIMD kernel (`kernels/causal-attention.ts`) as one
 * TensorFlow.js op with its gradient: q [B, T, H, D], k and v [B, T, H_kv, D] → [B, T, H, D].
 *
 * For forwards without a cache (training, log-probs) on the host backends (wasm, cpu), where
 * reading a tensor is a copy, not a device sync. It replaces, per layer, the ~20 transposes, the
 * two depthwise-convolution products and the softmax of `transformer.ts`'s tensor formulation
 * and their gradients. The backward pass recomputes the probabilities from the row max and sum
 * saved by the forward, so no [B·H, T, T] tensor is kept per layer (the memory that bounds long
 * sequences). Equal to the tensor formulation up to float rounding (tested to 1e-5, and against
 * finite differences).
 *
 * On the wasm backend the kernel runs in the backend's own memory on every wasm thread
 * (`ops/heap-attention.ts`); elsewhere (cpu) on host copies in its own memory, one thread.
 *
 * `OREAL_FUSED_ATTENTION` = `kernel` | `tensors` | `auto` (default). `auto` picks the kernel where
 * it runs in the backend's memory (wasm with `OREAL_WASM_KERNELS=oreal`, the default): there it is
 * faster than the tensor formulation (config A, 2 threads: ~19 ms a layer forward and backward,
 * against ~35 ms of depthwise products, transposes and softmax). On cpu `auto` keeps the tensors.
 * The kernel sums in another order than the tensor ops, so results differ at float rounding.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@oreal-ts/core';
import { causalAttentionBackward, causalAttentionForward, causalAttentionSupported, type CausalAttentionShape } from '../kernels/causal-attention';
import { heapAttentionAvailable, heapCausalAttention } from './heap-attention';

/** How full forwards compute attention: `kernel` (wasm SIMD), `tensors` (TensorFlow.js ops), or `auto`. */
export type FusedAttentionMode = 'auto' | 'kernel' | 'tensors';

/** Environment variable that sets the mode. */
export const FUSED_ATTENTION_ENV = 'OREAL_FUSED_ATTENTION';

const MODES: readonly FusedAttentionMode[] = ['auto', 'kernel', 'tensors'];

/**
 * Whether full forwards of a model with these heads use the kernel. The mode is `requested` (a
 * model's `fusedAttention` option) unless that is absent or `auto`; then `OREAL_FUSED_ATTENTION`;
 * then `auto`.
 */
export function useFusedAttention(shape: Pick<CausalAttentionShape, 'heads' | 'kvHeads' | 'headDim'>, requested?: FusedAttentionMode): boolean {
  const fromEnvironment = typeof process !== 'undefined' ? process.env[FUSED_ATTENTION_ENV]?.trim() : undefined;
  const mode = requested && requested !== 'auto' ? requested : fromEnvironment || 'auto';
  if (!(MODES as readonly string[]).includes(mode)) {
    throw new InvalidArgumentError(FUSED_ATTENTION_ENV, `is "${mode}"; expected one of ${MODES.join(', ')}`);
  }
  if (mode === 'tensors') return false;
  const supported = causalAttentionSupported(shape);
  if (mode === 'kernel') {
    if (!supported) throw new InvalidArgumentError(FUSED_ATTENTION_ENV, `the wasm kernel needs WebAssembly SIMD and a head dimension divisible by 4 (got ${shape.headDim})`);
    return true;
  }
  return supported && heapAttentionAvailable();
}

/** Host copy of a [B, 1, 1, T, T] bias, read once per bias tensor. */
const biasValues = new WeakMap<tf.Tensor, Float32Array>();

function hostBias(bias: tf.Tensor): Float32Array {
  let values = biasValues.get(bias);
  if (!values) {
    values = bias.dataSync() as Float32Array;
    biasValues.set(bias, values);
  }
  return values;
}

/**
 * softmax(q·kᵀ/√D + bias)·v with the gradient for q, k and v (not the bias, a constant mask).
 * q [B, T, H, D], k, v [B, T, H_kv, D], bias [B, 1, 1, T, T] (0 or MASKED) → [B, T, H, D].
 */
export function fusedCausalAttention(query: tf.Tensor4D, key: tf.Tensor4D, value: tf.Tensor4D, bias: tf.Tensor): tf.Tensor4D {
  if (heapAttentionAvailable()) return heapCausalAttention(query, key, value, bias);
  return hostCausalAttention(query, key, value, bias);
}

/** The same through host copies in the kernel's own memory (the cpu backend, or wasm without the heap kernels). */
function hostCausalAttention(query: tf.Tensor4D, key: tf.Tensor4D, value: tf.Tensor4D, bias: tf.Tensor): tf.Tensor4D {
  const [batch, time, heads, headDim] = query.shape;
  const kvHeads = key.shape[2];
  if (bias.size !== batch * time * time) {
    throw new Error(`fusedCausalAttention: bias has ${bias.size} values, expected B·T·T = ${batch * time * time} (no cache)`);
  }
  const shape: CausalAttentionShape = { batch, time, heads, kvHeads, headDim };
  const scale = 1 / Math.sqrt(headDim);
  const maskValues = hostBias(bias);
  const attend = tf.customGrad((q, k, v) => {
    const queryValues = (q as tf.Tensor).dataSync() as Float32Array;
    const keyValues = (k as tf.Tensor).dataSync() as Float32Array;
    const valueValues = (v as tf.Tensor).dataSync() as Float32Array;
    const forward = causalAttentionForward(shape, queryValues, keyValues, valueValues, maskValues, scale);
    return {
      value: tf.tensor4d(forward.output, [batch, time, heads, headDim]),
      gradFunc: (dy: tf.Tensor) => {
        const gradients = causalAttentionBackward(shape, queryValues, keyValues, valueValues, maskValues, scale, forward, dy.dataSync() as Float32Array);
        return [
          tf.tensor4d(gradients.query, [batch, time, heads, headDim]),
          tf.tensor4d(gradients.key, [batch, time, kvHeads, headDim]),
          tf.tensor4d(gradients.value, [batch, time, kvHeads, headDim]),
        ];
      },
    };
  });
  return attend(query, key, value) as tf.Tensor4D;
}
