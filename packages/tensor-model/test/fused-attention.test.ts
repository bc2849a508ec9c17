/**
 * The full-sequence attention kernel (`src/kernels/causal-attention.wat` through
 * `src/ops/fused-attention.ts`): equal to the tensor formulation forward and backward (GQA, left
 * padding, causal mask), its gradient equal to finite differences, on the cpu and wasm backends,
 * and a model forward with it equal to one without.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fusedCausalAttention, FUSED_ATTENTION_ENV, useFusedAttention } from '../src/ops/fused-attention';
import { attentionBias } from '../src/model/inputs';
import { createTransformerPolicy, parseTransformerConfig } from '../src/index';
import { gradientCheck, maxAbsDifference, projectToScalar, randomValues, setupBackend } from './support';

const B = 2;
const T = 7;
const H = 4;
const H_KV = 2;
const D = 8;

/**
 * Row 0 full, row 1 with its last two keys padding. (A left-padded row's first query sees no key
 * at all; the tensor formulation then spreads it uniformly over all keys, with a formal gradient
 * finite differences cannot see. The kernel does the same; such rows get no loss in a model.)
 */
const keyMask = Uint8Array.from({ length: B * T }, (_, i) => (i >= 2 * T - 2 ? 0 : 1));
const biasValues = attentionBias(keyMask, B, T, T, 0);
const biasTensor = () => tf.tensor(biasValues, [B, 1, 1, T, T]);

/** The same attention with plain tensor ops: K/V heads repeated, [B, H, T, D] products. */
function referenceAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, bias: tf.Tensor): tf.Tensor4D {
  const group = H / H_KV;
  const repeat = (x: tf.Tensor4D) => {
    const heads = tf.unstack(x, 2);
    return tf.transpose(tf.stack(Array.from({ length: H }, (_, h) => heads[Math.floor(h / group)] as tf.Tensor), 2), [0, 2, 1, 3]) as tf.Tensor4D;
  };
  const qh = tf.transpose(q, [0, 2, 1, 3]) as tf.Tensor4D; // [B, H, T, D]
  const scores = tf.add(tf.mul(tf.matMul(qh, repeat(k), false, true), 1 / Math.sqrt(D)), tf.reshape(bias, [B, 1, T, T]));
  return tf.transpose(tf.matMul(tf.softmax(scores), repeat(v)), [0, 2, 1, 3]) as tf.Tensor4D; // [B, T, H, D]
}

const inputs = () => [
  { shape: [B, T, H, D], values: randomValues(B * T * H * D, 'q') },
  { shape: [B, T, H_KV, D], values: randomValues(B * T * H_KV * D, 'k') },
  { shape: [B, T, H_KV, D], values: randomValues(B * T * H_KV * D, 'v') },
];

let previous: string | undefined;
beforeAll(async () => {
  previous = process.env[FUSED_ATTENTION_ENV];
  await setupBackend();
});
afterAll(async () => {
  if (previous === undefined) delete process.env[FUSED_ATTENTION_ENV];
  else process.env[FUSED_ATTENTION_ENV] = previous;
  await setupBackend();
});

describe.each(['wasm', 'cpu'])('fused causal attention on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  it('equals the tensor formulation, forward and gradients (GQA, padding, causal)', () => {
    const [q, k, v] = inputs().map((x) => tf.tensor4d(x.values, x.shape as [number, number, number, number])) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const bias = biasTensor();
    const fused = fusedCausalAttention(q, k, v, bias);
    const reference = referenceAttention(q, k, v, bias);
    expect(fused.shape).toEqual([B, T, H, D]);
    expect(maxAbsDifference(fused.dataSync(), reference.dataSync())).toBeLessThan(1e-5);
    const fusedGradients = tf.grads((a, b, c) => projectToScalar(fusedCausalAttention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, bias)))([q, k, v]);
    const referenceGradients = tf.grads((a, b, c) => projectToScalar(referenceAttention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, bias)))([q, k, v]);
    fusedGradients.forEach((g, i) => {
      const expected = (referenceGradients[i] as tf.Tensor).dataSync();
      expect(Math.max(...Array.from(expected, Math.abs))).toBeGreaterThan(1e-2);
      expect(maxAbsDifference(g.dataSync(), expected)).toBeLessThan(1e-5);
    });
    tf.dispose([q, k, v, bias, fused, reference, ...fusedGradients, ...referenceGradients]);
  });

  it('has the gradient of finite differences', () => {
    const bias = biasTensor();
    const result = gradientCheck(
      (q, k, v) => projectToScalar(fusedCausalAttention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, bias)),
      inputs(),
      { step: 1e-2, maxCoordinates: 40 },
    );
    expect(result.checked).toBe(120);
    expect(result.largestGradient).toBeGreaterThan(0.1);
    expect(result.worst).toBeLessThan(2e-3);
    bias.dispose();
  });
});

describe('model forward with the fused kernel', () => {
  it('gives the log-probabilities and gradients of the tensor formulation', async () => {
    await setupBackend();
    const config = parseTransformerConfig({ vocab_size: 32, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64 });
    const batch = { promptIds: [[1, 2, 3], [4, 5]], responseIds: [[6, 7, 8, 9, 10], [11, 12, 13]] };
    const run = async (mode: string) => {
      process.env[FUSED_ATTENTION_ENV] = mode;
      const policy = createTransformerPolicy(config, { seed: 5, training: { learningRate: 1e-2 } });
      const logProbs = (await policy.logProbs(batch)).flat();
      await policy.accumulateGradients(batch, (values) => ({ loss: 0, gradient: values.map((r) => r.map(() => -1)) }));
      await policy.applyGradients();
      const after = (await policy.logProbs(batch)).flat();
      policy.dispose();
      return { logProbs, after };
    };
    process.env[FUSED_ATTENTION_ENV] = 'auto';
    // auto: the kernel where it runs in the backend's memory (wasm), the tensors elsewhere.
    expect(useFusedAttention({ heads: 4, kvHeads: 2, headDim: 8 })).toBe(tf.getBackend() === 'wasm');
    expect(useFusedAttention({ heads: 4, kvHeads: 2, headDim: 6 })).toBe(false);
    process.env[FUSED_ATTENTION_ENV] = 'kernel';
    expect(useFusedAttention({ heads: 4, kvHeads: 2, headDim: 8 })).toBe(true);
    expect(() => useFusedAttention({ heads: 4, kvHeads: 2, headDim: 6 })).toThrow(/divisible by 4/);
    const kernel = await run('kernel');
    const tensors = await run('tensors');
    expect(maxAbsDifference(kernel.logProbs, tensors.logProbs)).toBeLessThan(1e-5);
    expect(maxAbsDifference(kernel.after, tensors.after)).toBeLessThan(1e-4);
    expect(maxAbsDifference(kernel.after, kernel.logProbs)).toBeGreaterThan(1e-3);
    process.env[FUSED_ATTENTION_ENV] = 'tpu';
    expect(() => useFusedAttention({ heads: 4, kvHeads: 2, headDim: 8 })).toThrow(/OREAL_FUSED_ATTENTION/);
  });
});

describe('the fusedAttention option of a policy', () => {
  it('pins the attention whatever OREAL_FUSED_ATTENTION says, and clones keep it', async () => {
    await setupBackend();
    const config = parseTransformerConfig({ vocab_size: 32, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 4, max_position_embeddings: 64 });
    const batch = { promptIds: [[1, 2, 3], [4]], responseIds: [[6, 7, 8, 9, 10], [11, 12, 13]] };
    const bits = async (policy: ReturnType<typeof createTransformerPolicy>) => {
      const values = Float32Array.from((await policy.logProbs(batch)).flat());
      return Array.from(new Uint32Array(values.buffer));
    };
    process.env[FUSED_ATTENTION_ENV] = 'tensors';
    const tensorsByEnvironment = createTransformerPolicy(config, { seed: 9 });
    const expectedTensors = await bits(tensorsByEnvironment);
    process.env[FUSED_ATTENTION_ENV] = 'kernel';
    const kernelByEnvironment = createTransformerPolicy(config, { seed: 9 });
    const pinned = createTransformerPolicy(config, { seed: 9, fusedAttention: 'tensors' });
    const copy = pinned.clone();
    expect(copy.fusedAttention).toBe('tensors');
    expect(await bits(pinned)).toEqual(expectedTensors);
    expect(await bits(copy)).toEqual(expectedTensors);
    if (tf.getBackend() === 'wasm') expect(await bits(kernelByEnvironment)).not.toEqual(expectedTensors); // the kernel rounds differently
    for (const policy of [tensorsByEnvironment, kernelByEnvironment, pinned, copy]) policy.dispose();
  });
});
