/**
 * The wasm decode-attention kernel (`kernels/decode-attention.ts`) as a decode step's
 * `StepAttention`, and the choice between it and TensorFlow.js ops.
 *
 * Why: on the CPU backends a decode step's attention as TensorFlow.js ops is ~12 ops per layer,
 * and its rank-3 matMuls are a slow scalar loop on tfjs-wasm (about a third of a batch-16 step,
 * profiled). The kernel does rotary, cache append, scores, softmax and the value sum in one call
 * per layer on memory it owns; the projections around it stay TensorFlow.js matMuls.
 * The q|k|v tensor is read without a copy on wasm (its heap) and with `dataSync` on cpu; on
 * GPU or native backends that read would be a device sync, so `auto` keeps the tensor ops there.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@oreal-ts/core';
import type { ModelDimensions } from '../config';
import { DecodeAttentionKernel, decodeAttentionSupported } from '../kernels/decode-attention';
import type { StepAttention } from './decode-step';
import type { LayerCache } from './transformer';
import { hostValues, onHostBackend } from './host-ops';

/** How decode steps compute attention: `kernel` (wasm SIMD), `tensors` (TensorFlow.js ops), or `auto`. */
export type DecodeAttentionMode = 'auto' | 'kernel' | 'tensors';

/** Environment variable that sets the mode where no option does. */
export const DECODE_ATTENTION_ENV = 'OREAL_DECODE_ATTENTION';

const MODES: readonly DecodeAttentionMode[] = ['auto', 'kernel', 'tensors'];
/** Initial cache slots beyond the prompt (the cache doubles when full). */
const INITIAL_SPARE_SLOTS = 16;

/**
 * The attention used by a new decoding session: `requested` (a policy option), else
 * `OREAL_DECODE_ATTENTION`, else `auto` = the kernel on wasm/cpu when it supports the model's heads.
 */
export function resolveDecodeAttention(d: ModelDimensions, requested?: DecodeAttentionMode): 'kernel' | 'tensors' {
  const fromEnvironment = typeof process !== 'undefined' ? process.env[DECODE_ATTENTION_ENV]?.trim() : undefined;
  const mode = requested ?? (fromEnvironment || 'auto');
  if (!(MODES as readonly string[]).includes(mode)) {
    throw new InvalidArgumentError(requested ? 'decodeAttention' : DECODE_ATTENTION_ENV, `is "${mode}"; expected one of ${MODES.join(', ')}`);
  }
  const supported = decodeAttentionSupported(d);
  if (mode === 'kernel') {
    if (!supported) throw new InvalidArgumentError('decodeAttention', `the wasm kernel needs WebAssembly SIMD and a head dimension divisible by 4 (got ${d.headDim})`);
    return 'kernel';
  }
  if (mode === 'tensors') return 'tensors';
  return supported && onHostBackend() ? 'kernel' : 'tensors';
}

/**
 * Build the kernel's cache for `batch` rows from a prefill's per-layer cache (keys [B_src, H_kv, D, T],
 * values [B_src, H_kv, T, D]); row b takes prefill row `rowOf[b]` (default b). Call inside `tf.tidy`.
 */
export function kernelFromPrefill(d: ModelDimensions, cache: readonly LayerCache[], batch: number, rowOf?: Int32Array): DecodeAttentionKernel {
  const first = cache[0];
  if (!first) throw new Error('internal: empty prefill cache');
  const length = first.keysTransposed.shape[3];
  const kernel = new DecodeAttentionKernel({ batch, heads: d.heads, kvHeads: d.kvHeads, headDim: d.headDim, layers: d.layers }, length + INITIAL_SPARE_SLOTS);
  cache.forEach((layer, index) => {
    const keys = tf.transpose(layer.keysTransposed, [0, 1, 3, 2]); // [B_src, H_kv, T, D]
    kernel.loadLayer(index, keys.dataSync() as Float32Array, layer.values.dataSync() as Float32Array, length, rowOf);
  });
  return kernel;
}

/** The kernel as a decode step's attention (after `kernel.beginStep`): q|k|v [B, (H + 2H_kv)·D] → [B, H·D]. */
export function kernelStepAttention(kernel: DecodeAttentionKernel): StepAttention {
  const { batch, heads, headDim } = kernel.shape;
  const copies = tf.getBackend() !== 'wasm'; // wasm copies tensor data on creation; cpu keeps the array
  return (layer, queryKeyValue) => {
    const out = kernel.attend(layer, hostValues(queryKeyValue));
    return tf.tensor2d(copies ? out.slice() : out, [batch, heads * headDim]);
  };
}
