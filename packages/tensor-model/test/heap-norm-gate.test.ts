/**
 * RMSNorm and the SwiGLU gate as wasm kernels (`ops/heap-rms-norm.ts`, `ops/heap-swiglu.ts`)
 * against the tensor formulation they replace: the same bits forward and backward (also when the
 * input has other uses whose gradients are summed with the kernel's), finite differences, the
 * cases that fall back to tensor ops, and a training step of a whole model with and without them.
 */
import * as tf from '@tensorflow/tfjs';
import { SeededRng } from '@oreal-ts/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { heapRmsNorm, heapRmsNormApplies, registerHeapRmsNorm, RMS_NORM_KERNEL, RMS_NORM_GRAD_KERNEL } from '../src/ops/heap-rms-norm';
import { heapSwiGlu, heapSwiGluApplies, registerHeapSwiGlu, SWIGLU_KERNEL, SWIGLU_GRAD_KERNEL } from '../src/ops/heap-swiglu';
import { backendMemory, type HeapBackend } from '../src/ops/heap-backend';
import { rmsNorm, rmsNormWithTensorOps, siluGateWithTensorOps } from '../src/model/transformer';
import { createTransformerPolicy } from '../src/policy';
import { parseTransformerConfig } from '../src/config';
import { gradientCheck, randomTensor, randomValues, setupBackend } from './support';

const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

/** Unregister `names` while `run` runs (the callers then take the tensor path), then register them again. */
async function withoutKernels<T>(names: readonly string[], register: () => void, run: () => Promise<T> | T): Promise<T> {
  for (const name of names) tf.unregisterKernel(name, 'wasm');
  try {
    return await run();
  } finally {
    register();
  }
}

const heap = () => tf.backend() as unknown as HeapBackend;
const memory = () => {
  const found = backendMemory(heap());
  if (!found) throw new Error('no backend memory');
  return found;
};

describe('RMSNorm and SwiGLU gate kernels on the wasm backend', () => {
  beforeAll(setupBackend);

  it('RMSNorm: the tensor formulation\'s values and gradients, bit for bit, with x\'s other uses before and after it', () => {
    expect(tf.getBackend()).toBe('wasm');
    for (const [shape, eps] of [[[3, 5, 16], 1e-6], [[7, 100], 1e-5], [[2, 12], 0.25]] as [number[], number][]) {
      const cols = shape[shape.length - 1] as number;
      const x = randomTensor(shape, `x${cols}`, 1.5);
      const w = randomTensor([cols], `w${cols}`);
      const after = randomTensor(shape, `a${cols}`);
      const before = randomTensor(shape, `b${cols}`);
      const project = randomTensor(shape, `p${cols}`);
      expect(heapRmsNormApplies(x, w)).toBe(true);
      expect(bits(heapRmsNorm(x, w, eps))).toEqual(bits(rmsNormWithTensorOps(x, w, eps)));
      // x also feeds a product recorded before the norm and one after it (the residual stream).
      const loss = (norm: typeof rmsNorm) => (input: tf.Tensor, weight: tf.Tensor) =>
        tf.add(tf.sum(tf.mul(input, before)), tf.add(tf.sum(tf.mul(norm(input, weight, eps), project)), tf.sum(tf.mul(input, after)))) as tf.Scalar;
      const [kx, kw] = tf.grads(loss(heapRmsNorm))([x, w]) as [tf.Tensor, tf.Tensor];
      const [rx, rw] = tf.grads(loss(rmsNormWithTensorOps))([x, w]) as [tf.Tensor, tf.Tensor];
      expect(bits(kx)).toEqual(bits(rx));
      expect(bits(kw)).toEqual(bits(rw));
      tf.dispose([x, w, after, before, project, kx, kw, rx, rw]);
    }
  });

  it('RMSNorm: gradients match finite differences', () => {
    const x = { shape: [3, 8], values: randomValues(24, 'fx') };
    const w = { shape: [8], values: randomValues(8, 'fw') };
    const project = randomTensor([3, 8], 'fp');
    const result = gradientCheck((input, weight) => tf.sum(tf.mul(heapRmsNorm(input as tf.Tensor, weight as tf.Tensor, 1e-5), project)) as tf.Scalar, [x, w], { step: 1e-2, maxCoordinates: 32 });
    expect(result.checked).toBe(32);
    expect(result.largestGradient).toBeGreaterThan(0.1);
    expect(result.worst).toBeLessThan(2e-2);
    project.dispose();
  });

  it('RMSNorm falls back to tensor ops where the kernel does not apply', () => {
    const odd = tf.ones([2, 6]);
    const sixWeights = tf.ones([6]);
    expect(heapRmsNormApplies(odd, sixWeights)).toBe(false); // C not a multiple of 4
    const x = tf.ones([2, 8]);
    expect(heapRmsNormApplies(x, tf.ones([4]))).toBe(false); // weight of another size
    expect(heapRmsNormApplies(tf.ones([2, 8], 'int32'), tf.ones([8]))).toBe(false);
    const y = rmsNorm(odd, sixWeights, 1e-6);
    expect(bits(y)).toEqual(bits(rmsNormWithTensorOps(odd, sixWeights, 1e-6)));
    tf.dispose([odd, sixWeights, x, y]);
  });

  it('SwiGLU gate: the tensor formulation\'s values and gradients, bit for bit', () => {
    for (const shape of [[3, 5, 24], [4, 1]]) {
      const g = randomTensor(shape, `g${shape}`, 2);
      const u = randomTensor(shape, `u${shape}`);
      const project = randomTensor(shape, `q${shape}`);
      expect(heapSwiGluApplies(g, u)).toBe(true);
      expect(bits(heapSwiGlu(g, u))).toEqual(bits(siluGateWithTensorOps(g, u)));
      const loss = (gate: typeof heapSwiGlu) => (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(gate(a, b), project)) as tf.Scalar;
      const kernel = tf.grads(loss(heapSwiGlu))([g, u]);
      const reference = tf.grads(loss(siluGateWithTensorOps))([g, u]);
      expect(kernel.map(bits)).toEqual(reference.map(bits));
      tf.dispose([g, u, project, ...kernel, ...reference]);
    }
    expect(heapSwiGluApplies(tf.ones([3]), tf.ones([3]))).toBe(false); // not a multiple of 4
    expect(heapSwiGluApplies(tf.ones([4]), tf.ones([2, 2]))).toBe(false); // shapes differ
  });

  it('SwiGLU gate: gradients match finite differences', () => {
    const project = randomTensor([2, 8], 'sp');
    const result = gradientCheck((g, u) => tf.sum(tf.mul(heapSwiGlu(g as tf.Tensor, u as tf.Tensor), project)) as tf.Scalar, [
      { shape: [2, 8], values: randomValues(16, 'sg') },
      { shape: [2, 8], values: randomValues(16, 'su') },
    ], { step: 1e-2, maxCoordinates: 16 });
    expect(result.checked).toBe(32);
    expect(result.largestGradient).toBeGreaterThan(0.1);
    expect(result.worst).toBeLessThan(2e-2);
    project.dispose();
  });

  it('a training step of a whole model gives the same weights with and without the two kernels', async () => {
    const config = parseTransformerConfig({ vocab_size: 32, hidden_size: 32, intermediate_size: 88, num_hidden_layers: 2, num_attention_heads: 4, max_position_embeddings: 64 });
    const rng = new SeededRng(5);
    const row = (n: number) => Array.from({ length: n }, () => rng.int(32));
    const batch = { promptIds: [row(3), row(2)], responseIds: [row(9), row(12)] };
    const loss = (values: readonly (readonly number[])[]) => {
      const count = values.reduce((n, r) => n + r.length, 0);
      return { loss: 0, gradient: values.map((r) => r.map((_, i) => (i % 3 === 0 ? -2 : 1) / count)) };
    };
    const trainedWeights = async () => {
      const policy = createTransformerPolicy(config, { seed: 3, training: { learningRate: 1e-2 } });
      for (let step = 0; step < 2; step++) {
        await policy.accumulateGradients(batch, loss);
        await policy.applyGradients();
      }
      const weights = [...policy.huggingFaceWeights()].map(([name, t]) => [name, Array.from(new Uint32Array(t.data.slice().buffer))] as const);
      policy.dispose();
      return weights;
    };
    const withKernels = await trainedWeights();
    const names = [RMS_NORM_KERNEL, RMS_NORM_GRAD_KERNEL, SWIGLU_KERNEL, SWIGLU_GRAD_KERNEL];
    const withTensorOps = await withoutKernels(names, () => {
      registerHeapRmsNorm(heap(), memory());
      registerHeapSwiGlu(heap(), memory());
    }, () => {
      const x = tf.ones([2, 8]);
      expect(heapRmsNormApplies(x, tf.ones([8]))).toBe(false); // unregistered: the tensor path
      x.dispose();
      return trainedWeights();
    });
    expect(withKernels.length).toBeGreaterThan(10);
    expect(withKernels).toEqual(withTensorOps);
    const x = tf.ones([2, 8]);
    expect(heapRmsNormApplies(x, tf.ones([8]))).toBe(true); // registered again
    x.dispose();
  });
});
