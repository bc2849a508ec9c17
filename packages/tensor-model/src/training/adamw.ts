/**
 * AdamW (Loshchilov & Hutter), as PyTorch's `torch.optim.AdamW`:
 *   m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,
 *   θ ← θ − lr·λ·θ − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
 * The decay term uses the parameter before the Adam update (decoupled weight decay).
 * On the wasm backend (with `OREAL_WASM_KERNELS=oreal`, the default) one fused kernel does the
 * same float32 operations in the same order (`ops/heap-adamw.ts`): bit-identical, one op per
 * parameter instead of ~13.
 */
import * as tf from '@tensorflow/tfjs';
import { heapAdamW, heapAdamWAvailable } from '../ops/heap-adamw';

/** AdamW's hyper-parameters of one step; `clip` (default 1) scales the gradient first (the global-norm clip coefficient). */
export interface AdamWHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly step: number;
  readonly clip?: number;
}

/** [θ', m', v'] with TensorFlow.js ops (the reference the fused kernel is tested against). */
export function adamWWithTensorOps(parameter: tf.Tensor, gradient: tf.Tensor, m: tf.Tensor, v: tf.Tensor, hyper: AdamWHyper): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const { learningRate, beta1, beta2, epsilon, weightDecay, step } = hyper;
  const clip = hyper.clip ?? 1;
  return tf.tidy(() => {
    const g = clip !== 1 ? tf.mul(gradient, clip) : gradient;
    const nextM = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
    const nextV = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
    const mHat = tf.div(nextM, 1 - Math.pow(beta1, step));
    const vHat = tf.div(nextV, 1 - Math.pow(beta2, step));
    const adam = tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon));
    let next = tf.sub(parameter, tf.mul(adam, learningRate));
    if (weightDecay > 0) next = tf.sub(next, tf.mul(parameter, learningRate * weightDecay));
    return [next, nextM, nextV];
  });
}

/** One parameter's update; returns nothing, assigns `parameter`, `m`, `v` in place. */
export function adamWUpdate(parameter: tf.Variable, gradient: tf.Tensor, m: tf.Variable, v: tf.Variable, hyper: AdamWHyper): void {
  const [nextParameter, nextM, nextV] = heapAdamWAvailable()
    ? heapAdamW(parameter, gradient, m, v, { ...hyper, clip: hyper.clip ?? 1 })
    : adamWWithTensorOps(parameter, gradient, m, v, hyper);
  m.assign(nextM);
  v.assign(nextV);
  parameter.assign(nextParameter);
  tf.dispose([nextParameter, nextM, nextV]);
}
