/**
 * The decoder: a Llama / Qwen2-family transformer, read top to bottom.
 *
 *   x = embed(ids)                                            // [B, T, C]
 *   for each layer:
 *     x = x + Attention(RMSNorm(x))                           // GQA with rotary positions
 *     x = x + MLP(RMSNorm(x))                                 // SwiGLU: down(silu(gate(x)) ⊙ up(x))
 *   h = RMSNorm(x)                                            // "last hidden state" (HF: after model.norm)
 *   logits = h · W_lm  (or h · Eᵀ when tie_word_embeddings)  // [B, T, V]
 *
 * Shapes: B batch, T new positions, T_k keys (cached + new), C hidden, H query heads,
 * H_kv key/value heads, G = H / H_kv queries per key head, D head dim, I intermediate, V vocab.
 * Everything here is pure tensor maths; callers wrap it in `tf.tidy`.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelDimensions } from '../config';
import { embed } from '../ops/embedding';
import { linear, matMul2d, matMulByConstant } from '../ops/matmul';
import { attentionScores, attentionValues } from '../ops/attention-products';
import { fusedCausalAttention, useFusedAttention, type FusedAttentionMode } from '../ops/fused-attention';
import { heapRmsNorm, heapRmsNormApplies } from '../ops/heap-rms-norm';
import { heapRotary, heapRotaryApplies } from '../ops/heap-rotary';
import { heapSwiGlu, heapSwiGluApplies } from '../ops/heap-swiglu';
import { names, type ParameterMap } from './parameters';

/** Per-layer key/value cache: keys stored transposed [B, H_kv, D, T_k], values [B, H_kv, T_k, D]. */
export interface LayerCache {
  readonly keysTransposed: tf.Tensor4D;
  readonly values: tf.Tensor4D;
}

/**
 * Per-layer fused q|k|v weights for decode steps: one [C, (H + 2H_kv)·D] matMul. A decode step is
 * bound by the number of ops, not FLOPs, so one wider matMul (and one split) wins there. Full
 * forwards (training, prefill) keep the projections apart: splitting a wide [B, T, ·] output
 * (wasm SplitV, a JS row loop) cost more than it saved (prefill with fused q|k|v and gate|up:
 * ~20% of the kernel time in SplitV, profiled). gate|up is not fused for decode steps either
 * (`decode-step.ts`).
 */
export interface FusedLayerWeights {
  readonly queryKeyValue: tf.Tensor2D;
  readonly queryKeyValueBias?: tf.Tensor1D;
}

/** Build the fused inference weights from the current parameters (call inside `tf.tidy`, keep the result). */
export function fuseWeights(params: ParameterMap, d: ModelDimensions): FusedLayerWeights[] {
  const out: FusedLayerWeights[] = [];
  for (let layer = 0; layer < d.layers; layer++) {
    const p = (name: string) => parameter(params, name);
    const queryKeyValue = tf.concat([p(names.queryWeight(layer)), p(names.keyWeight(layer)), p(names.valueWeight(layer))], 1) as tf.Tensor2D;
    out.push(
      d.qkvBias
        ? { queryKeyValue, queryKeyValueBias: tf.concat([p(names.queryBias(layer)), p(names.keyBias(layer)), p(names.valueBias(layer))], 0) as tf.Tensor1D }
        : { queryKeyValue },
    );
  }
  return out;
}

/** Inputs of one decoder call, already as tensors. */
export interface DecoderInputs {
  /** [B, T] int32 token ids */
  readonly ids: tf.Tensor2D;
  /** [B, T, 1, D] rotary cosines */
  readonly cos: tf.Tensor4D;
  /** [B, T, 1, D] rotary sines */
  readonly sin: tf.Tensor4D;
  /** [B, 1, 1, T, T_k] additive attention bias (0 or MASKED) */
  readonly bias: tf.Tensor;
  /** [D, D] rotate-half matrix (see `rotateHalfMatrix`) */
  readonly rotateHalf: tf.Tensor2D;
}

function parameter(params: ParameterMap, name: string): tf.Variable {
  const value = params.get(name);
  if (!value) throw new Error(`internal: missing parameter ${name}`);
  return value;
}

/** RMSNorm: y = x / sqrt(mean(x²) + ε) ⊙ w over the last axis. x [..., C], w [C]. */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  if (heapRmsNormApplies(x, weight)) return heapRmsNorm(x, weight, eps); // same values, one wasm kernel each way (ops/heap-rms-norm.ts)
  return rmsNormWithTensorOps(x, weight, eps);
}

/** `rmsNorm` with TensorFlow.js ops only (the formulation the wasm kernel is tested against). */
export function rmsNormWithTensorOps(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  const meanSquare = tf.mean(tf.square(x), -1, true); // [..., 1]
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, eps))), weight);
}

/** SwiGLU MLP: down(silu(gate(x)) ⊙ up(x)). x [B, T, C] → [B, T, C]. */
export function swiGlu(x: tf.Tensor, gate: tf.Tensor2D, up: tf.Tensor2D, down: tf.Tensor2D): tf.Tensor {
  const g = linear(x, gate); // [B, T, I]
  const u = linear(x, up); // [B, T, I]
  const activated = heapSwiGluApplies(g, u) ? heapSwiGlu(g, u) : siluGateWithTensorOps(g, u); // silu(g) ⊙ up(x), same values either way
  return linear(activated, down); // [B, T, C]
}

/** silu(g) ⊙ u with TensorFlow.js ops only (the formulation the wasm kernel `ops/heap-swiglu.ts` is tested against). */
export function siluGateWithTensorOps(g: tf.Tensor, u: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(g, tf.sigmoid(g)), u);
}

/**
 * Rotary embedding in HF's rotate-half convention on a [B, T, N, D] tensor:
 * x·cos + rotate_half(x)·sin, with rotate_half done as one [D, D] matMul by the constant R
 * (gradient with respect to x only: ∂x = ∂y·Rᵀ, no wasted gradient for R).
 */
export function applyRotary(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D, rotateHalf: tf.Tensor2D): tf.Tensor4D {
  if (heapRotaryApplies(x, cos, sin)) return heapRotary(x, cos, sin); // same values, one wasm kernel (ops/heap-rotary.ts)
  return rotaryWithTensorOps(x, cos, sin, rotateHalf);
}

/** `applyRotary` with TensorFlow.js ops only (the formulation the wasm kernel is tested against). */
export function rotaryWithTensorOps(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D, rotateHalf: tf.Tensor2D): tf.Tensor4D {
  const [b, t, n, d] = x.shape;
  const rotated = tf.reshape(matMulByConstant(tf.reshape(x, [-1, d]) as tf.Tensor2D, rotateHalf), [b, t, n, d]);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin)) as tf.Tensor4D;
}

/**
 * Grouped-query self-attention with rotary positions and an optional cache.
 * x [B, T, C] (already normed) → [B, T, C], plus this layer's cache after the new keys (absent
 * when `withCache` is false: a forward without a cache whose keys are not kept, e.g. training,
 * which then runs the fused kernel on host backends, see `ops/fused-attention.ts`).
 */
export function attention(
  x: tf.Tensor3D,
  params: ParameterMap,
  layer: number,
  d: ModelDimensions,
  inputs: DecoderInputs,
  cache: LayerCache | undefined,
  withCache = true,
  fusedAttention?: FusedAttentionMode,
): { output: tf.Tensor3D; cache: LayerCache | undefined } {
  const [batch, time] = x.shape;
  const { heads, kvHeads, headDim } = d;
  const group = heads / kvHeads; // G
  const bias = (name: string) => (d.qkvBias ? (parameter(params, name) as tf.Tensor1D) : undefined);
  const queryFlat = linear(x, parameter(params, names.queryWeight(layer)) as tf.Tensor2D, bias(names.queryBias(layer))); // [B, T, H·D]
  const keyFlat = linear(x, parameter(params, names.keyWeight(layer)) as tf.Tensor2D, bias(names.keyBias(layer))); // [B, T, H_kv·D]
  const valueFlat = linear(x, parameter(params, names.valueWeight(layer)) as tf.Tensor2D, bias(names.valueBias(layer))); // [B, T, H_kv·D]
  const query = applyRotary(tf.reshape(queryFlat, [batch, time, heads, headDim]), inputs.cos, inputs.sin, inputs.rotateHalf); // [B, T, H, D]
  const key = applyRotary(tf.reshape(keyFlat, [batch, time, kvHeads, headDim]), inputs.cos, inputs.sin, inputs.rotateHalf); // [B, T, H_kv, D]
  const outputWeight = parameter(params, names.outputWeight(layer)) as tf.Tensor2D;
  const outputBias = d.outputBias ? (parameter(params, names.outputBias(layer)) as tf.Tensor1D) : undefined;
  if (!cache && !withCache && useFusedAttention(d, fusedAttention)) {
    const value = tf.reshape(valueFlat, [batch, time, kvHeads, headDim]) as tf.Tensor4D;
    const mixed = fusedCausalAttention(query, key, value, inputs.bias); // [B, T, H, D]
    return { output: linear(tf.reshape(mixed, [batch, time, heads * headDim]), outputWeight, outputBias) as tf.Tensor3D, cache: undefined };
  }
  let keysTransposed = tf.transpose(key, [0, 2, 3, 1]) as tf.Tensor4D; // [B, H_kv, D, T]
  let values = tf.transpose(tf.reshape(valueFlat, [batch, time, kvHeads, headDim]), [0, 2, 1, 3]) as tf.Tensor4D; // [B, H_kv, T, D]
  if (cache) {
    keysTransposed = tf.concat([cache.keysTransposed, keysTransposed], 3); // [B, H_kv, D, T_k]
    values = tf.concat([cache.values, values], 2); // [B, H_kv, T_k, D]
  }
  const keyCount = values.shape[2];
  // Queries of the G heads sharing one key head are stacked: [B, H, T, D] → [B·H_kv, G·T, D].
  const queryGroups = tf.reshape(tf.transpose(tf.mul(query, 1 / Math.sqrt(headDim)), [0, 2, 1, 3]), [batch * kvHeads, group * time, headDim]) as tf.Tensor3D;
  const scores = attentionScores(queryGroups, tf.reshape(keysTransposed, [batch * kvHeads, headDim, keyCount]) as tf.Tensor3D); // [B·H_kv, G·T, T_k]
  const masked = tf.add(tf.reshape(scores, [batch, kvHeads, group, time, keyCount]), inputs.bias); // softmax(q·kᵀ/√D + bias)
  const probabilities = tf.reshape(tf.softmax(masked), [batch * kvHeads, group * time, keyCount]) as tf.Tensor3D;
  const mixed = attentionValues(probabilities, tf.reshape(values, [batch * kvHeads, keyCount, headDim]) as tf.Tensor3D); // [B·H_kv, G·T, D]
  const merged = tf.reshape(tf.transpose(tf.reshape(mixed, [batch, heads, time, headDim]), [0, 2, 1, 3]), [batch, time, heads * headDim]); // [B, T, H·D]
  const output = linear(merged, outputWeight, outputBias) as tf.Tensor3D; // [B, T, C]
  return { output, cache: withCache ? { keysTransposed, values } : undefined };
}

/**
 * The decoder body: ids → final-normed hidden states [B, T, C], plus each layer's cache
 * (the previous cache with this call's keys and values appended; empty when `withCache` is false).
 * `fusedAttention` chooses the attention of forwards without a cache (`useFusedAttention`).
 */
export function decoderHidden(
  params: ParameterMap,
  d: ModelDimensions,
  inputs: DecoderInputs,
  cache?: readonly LayerCache[],
  withCache = true,
  fusedAttention?: FusedAttentionMode,
): { hidden: tf.Tensor3D; cache: LayerCache[] } {
  let x = embed(parameter(params, names.embed) as tf.Tensor2D, inputs.ids) as tf.Tensor3D; // [B, T, C]
  const nextCache: LayerCache[] = [];
  for (let layer = 0; layer < d.layers; layer++) {
    const normed = rmsNorm(x, parameter(params, names.inputNorm(layer)), d.eps) as tf.Tensor3D;
    const { output, cache: layerCache } = attention(normed, params, layer, d, inputs, cache?.[layer], withCache, fusedAttention);
    if (layerCache) nextCache.push(layerCache);
    x = tf.add(x, output);
    const weight = (name: string) => parameter(params, name) as tf.Tensor2D;
    const normedMlp = rmsNorm(x, parameter(params, names.postNorm(layer)), d.eps);
    const mlp = swiGlu(normedMlp, weight(names.gateWeight(layer)), weight(names.upWeight(layer)), weight(names.downWeight(layer)));
    x = tf.add(x, mlp);
  }
  return { hidden: rmsNorm(x, parameter(params, names.finalNorm), d.eps) as tf.Tensor3D, cache: nextCache };
}

/** LM head: h [N, C] → logits [N, V] (h·W_lm, or h·Eᵀ with tied embeddings, transposed explicitly). */
export function lmLogits(params: ParameterMap, d: ModelDimensions, hidden: tf.Tensor2D): tf.Tensor2D {
  const head = d.tied ? (tf.transpose(parameter(params, names.embed)) as tf.Tensor2D) : (parameter(params, names.lmHead) as tf.Tensor2D);
  return matMul2d(hidden, head);
}

/**
 * log-softmax of `logits` [N, V] read at `targets` [N]: ℓ_n = logits[n, y_n] − logsumexp(logits[n]).
 * The pick is a one-hot product (gather's gradient does not run on wasm). → [N]
 */
export function tokenLogProbs(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  const logProbabilities = tf.logSoftmax(logits); // [N, V]
  const picked = tf.cast(tf.oneHot(targets, logits.shape[1]), 'float32'); // [N, V]
  return tf.sum(tf.mul(logProbabilities, picked), -1) as tf.Tensor1D;
}
