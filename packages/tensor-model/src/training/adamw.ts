/**
 * AdamW (Loshchilov & Hutter), as PyTorch's `torch.optim.AdamW`:
 *   m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,
 *   θ ← θ − lr·λ·θ − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
 * The decay term uses the parameter before the Adam update (decoupled weight decay).
 */
import * as tf from '@tensorflow/tfjs';

/** One parameter's update; returns nothing, assigns `parameter`, `m`, `v` in place. */
export function adamWUpdate(
  parameter: tf.Variable,
  gradient: tf.Tensor,
  m: tf.Variable,
  v: tf.Variable,
  hyper: { learningRate: number; beta1: number; beta2: number; epsilon: number; weightDecay: number; step: number },
): void {
  const { learningRate, beta1, beta2, epsilon, weightDecay, step } = hyper;
  tf.tidy(() => {
    const nextM = tf.add(tf.mul(m, beta1), tf.mul(gradient, 1 - beta1));
    const nextV = tf.add(tf.mul(v, beta2), tf.mul(tf.square(gradient), 1 - beta2));
    const mHat = tf.div(nextM, 1 - Math.pow(beta1, step));
    const vHat = tf.div(nextV, 1 - Math.pow(beta2, step));
    const adam = tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon));
    let next = tf.sub(parameter, tf.mul(adam, learningRate));
    if (weightDecay > 0) next = tf.sub(next, tf.mul(parameter, learningRate * weightDecay));
    m.assign(nextM);
    v.assign(nextV);
    parameter.assign(next);
  });
}
