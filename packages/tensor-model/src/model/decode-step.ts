/**
 * One decoding step: one new token per row against the decoding cache (inference only, no
 * gradients). The same maths as `decoderHidden` with T = 1. The attention of each layer is a
 * `StepAttention`: on CPU backends the wasm kernel (`kernels/decode-attention.ts`, through
 * `kernel-attention.ts`), elsewhere `tensorStepAttention` below, with TensorFlow.js ops over the
 * tensor cache (`decoding-cache.ts`), laid out for few, cheap ops:
 *
 *   - Appending to the cache does not copy it (written in place on wasm).
 *   - Both products take the cache as the left operand, one query column per head:
 *       s[n, t, g] = Σ_d K[n, t, d]·q[n, d, g]        keys [N, T_cap, D] · q [N, D, G]
 *       o[n, d, g] = Σ_t Vᵀ[n, d, t]·p[n, t, g]       valuesᵀ [N, D, T_cap] · p [N, T_cap, G]
 *     with G = 1 (no GQA) every reshape around them is free (no transposes).
 *   - Rotary tables come tiled per head ([B, H + 2H_kv, D], no broadcasting) with 1/√D folded
 *     into the query rows and the identity (cos 1, sin 0) on the value rows, so q|k|v is rotated
 *     in one go and split once.
 *   - Plain `tf.matMul` / `tf.gather` (no custom-gradient wrappers: nothing is differentiated here);
 *     fused q|k|v weights, but gate and up apart (splitting their fused output cost more here).
 *
 * Shapes: B batch, T_cap cache capacity (≥ keys; extra slots masked), C hidden, H query heads,
 * H_kv key/value heads, N = B·H_kv, G = H / H_kv, D head dim, I intermediate. Callers wrap it in
 * `tf.tidy`.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelDimensions } from '../config';
import { names, type ParameterMap } from './parameters';
import type { FusedLayerWeights } from './transformer';
import { appendToCache, type LayerDecodingCache } from './decoding-cache';
import { addRmsNorm, embedTokens } from './host-ops';

/** Inputs of one decoding step, already as tensors. */
export interface DecodeStepInputs {
  /** [B, H + 2H_kv, D] rotary cosines per head (query rows × 1/√D, value rows 1) */
  readonly cos: tf.Tensor3D;
  /** [B, H + 2H_kv, D] rotary sines per head (query rows × 1/√D, value rows 0) */
  readonly sin: tf.Tensor3D;
  /** [B, 1, T_cap] additive attention bias over the cache slots after this step's append (0 or MASKED) */
  readonly bias: tf.Tensor3D;
  /** keys in the cache before this step (this step's key goes to that slot) */
  readonly length: number;
  /** [D, D] rotate-half matrix (see `rotateHalfMatrix`) */
  readonly rotateHalf: tf.Tensor2D;
}

function parameter(params: ParameterMap, name: string): tf.Variable {
  const value = params.get(name);
  if (!value) throw new Error(`internal: missing parameter ${name}`);
  return value;
}

/** x·w (+ bias) for x [M, K], w [K, N] → [M, N], without a gradient wrapper. */
function project(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  const y = tf.matMul(x, weight);
  return bias ? (tf.add(y, bias) as tf.Tensor2D) : (y as tf.Tensor2D);
}

/** A decode step's attention in one layer: projected q|k|v [B, (H + 2H_kv)·D] → attended heads [B, H·D]. */
export type StepAttention = (layer: number, queryKeyValue: tf.Tensor2D) => tf.Tensor2D;

/**
 * Attention with TensorFlow.js ops over the tensor cache (`decoding-cache.ts`): rotary, append,
 * the two products and the softmax. Each layer's cache after this step's append is pushed to `next`.
 */
export function tensorStepAttention(
  d: ModelDimensions,
  inputs: DecodeStepInputs,
  cache: readonly LayerDecodingCache[],
  next: LayerDecodingCache[],
): StepAttention {
  return (layer, qkv) => {
    const layerCache = cache[layer];
    if (!layerCache) throw new Error(`internal: no decoding cache for layer ${layer}`);
    const batch = qkv.shape[0];
    const { heads, kvHeads, headDim } = d;
    const group = heads / kvHeads; // G
    const rows = batch * kvHeads; // N
    const projectedHeads = heads + 2 * kvHeads;
    // Rotary (and 1/√D on queries): y = x·cos + rotate_half(x)·sin, per head row.
    const rotatedHalf = tf.reshape(tf.matMul(tf.reshape(qkv, [batch * projectedHeads, headDim]) as tf.Tensor2D, inputs.rotateHalf), [batch, projectedHeads, headDim]);
    const rotated = tf.add(tf.mul(tf.reshape(qkv, [batch, projectedHeads, headDim]), inputs.cos), tf.mul(rotatedHalf, inputs.sin)); // [B, H + 2H_kv, D]
    const [query, key, value] = tf.split(rotated, [heads, kvHeads, kvHeads], 1) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
    const appended = appendToCache(layerCache, inputs.length, tf.reshape(key, [rows, headDim]) as tf.Tensor2D, tf.reshape(value, [rows, headDim]) as tf.Tensor2D);
    next.push(appended);
    const capacity = appended.keys.shape[1];
    const columns = (t: tf.Tensor, width: number): tf.Tensor3D => // [B, H, width] → [N, width, G]
      (group === 1 ? tf.reshape(t, [rows, width, 1]) : tf.transpose(tf.reshape(t, [rows, group, width]), [0, 2, 1])) as tf.Tensor3D;
    const fromColumns = (t: tf.Tensor, width: number): tf.Tensor => // [N, width, G] → [B, H·width]
      group === 1 ? tf.reshape(t, [batch, heads * width]) : tf.reshape(tf.transpose(t, [0, 2, 1]), [batch, heads * width]);
    const scores = tf.matMul(appended.keys, columns(query, headDim)); // [N, T_cap, G]   (q already × 1/√D)
    const probabilities = tf.softmax(tf.add(tf.reshape(fromColumns(scores, capacity), [batch, heads, capacity]), inputs.bias)); // [B, H, T_cap]
    const mixed = tf.matMul(appended.valuesTransposed, columns(probabilities, capacity)); // [N, D, G]
    return fromColumns(mixed, headDim) as tf.Tensor2D; // [B, H·D]
  };
}

/**
 * The decoder body for one new token per row (`ids` [B]): → final-normed hidden states [B, C].
 * `attention` computes each layer's attention and keeps its cache (`tensorStepAttention`, or the
 * wasm kernel's `kernelStepAttention`).
 */
export function decodeStepHidden(
  params: ParameterMap,
  d: ModelDimensions,
  ids: Int32Array,
  attention: StepAttention,
  fused: readonly FusedLayerWeights[],
): tf.Tensor2D {
  let x = embedTokens(parameter(params, names.embed) as tf.Tensor2D, ids); // [B, C]
  let delta: tf.Tensor2D | undefined; // added to x by the next norm (residual + norm in one pass on the host)
  for (let layer = 0; layer < d.layers; layer++) {
    const layerFused = fused[layer];
    if (!layerFused) throw new Error(`internal: no fused weights for layer ${layer}`);
    const input = addRmsNorm(x, delta, parameter(params, names.inputNorm(layer)) as tf.Tensor1D, d.eps);
    x = input.sum;
    const qkv = project(input.normed, layerFused.queryKeyValue, layerFused.queryKeyValueBias); // [B, (H + 2H_kv)·D]
    const attended = attention(layer, qkv); // [B, H·D]
    const attentionOut = project(attended, parameter(params, names.outputWeight(layer)) as tf.Tensor2D, d.outputBias ? (parameter(params, names.outputBias(layer)) as tf.Tensor1D) : undefined);
    const post = addRmsNorm(x, attentionOut, parameter(params, names.postNorm(layer)) as tf.Tensor1D, d.eps);
    x = post.sum;
    // gate and up as two matMuls: splitting the fused [B, 2I] output (wasm SplitV copies row by row in JS) cost more.
    const gate = tf.matMul(post.normed, parameter(params, names.gateWeight(layer)) as tf.Tensor2D); // [B, I]
    const up = tf.matMul(post.normed, parameter(params, names.upWeight(layer)) as tf.Tensor2D); // [B, I]
    const activated = tf.mul(tf.mul(gate, tf.sigmoid(gate)), up); // silu(gate) ⊙ up   [B, I]
    delta = tf.matMul(activated, parameter(params, names.downWeight(layer)) as tf.Tensor2D) as tf.Tensor2D;
  }
  return addRmsNorm(x, delta, parameter(params, names.finalNorm) as tf.Tensor1D, d.eps).normed;
}
