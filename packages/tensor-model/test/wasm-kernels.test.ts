/**
 * The wasm backend's replaced kernels (`ops/wasm-kernels.ts`) against references: the transpose
 * plan against an element-by-element permutation (property test), the transpose kernel on a plain
 * and a shared memory, and `tf.transpose` on the backend with and without the replacement.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { planTranspose, transposeKernelFor, transposeReference, type TransposePlan } from '../src/kernels/transpose';
import { installWasmKernels, parseWasmKernels } from '../src/ops/wasm-kernels';
import type { WasmMemory } from '../src/kernels/wasm-api';
import { heapAdamW } from '../src/ops/heap-adamw';
import { adamWWithTensorOps } from '../src/training/adamw';
import { heapRotary, heapRotaryApplies } from '../src/ops/heap-rotary';
import { rotaryWithTensorOps } from '../src/model/transformer';
import { rotateHalfMatrix } from '../src/model/inputs';
import { randomValues, setupBackend } from './support';

/** What a plan does, element by element (independent of the kernel). */
function runPlan(plan: TransposePlan, values: Float32Array): Float32Array {
  if (plan.kind === 'copy') return values.slice();
  const inner = plan.kind === 'blocks' ? plan.inner : 1;
  const out = new Float32Array(values.length);
  for (let a = 0; a < plan.outer; a++) {
    for (let r = 0; r < plan.rows; r++) {
      for (let c = 0; c < plan.cols; c++) {
        for (let i = 0; i < inner; i++) {
          out[(((a * plan.cols + c) * plan.rows + r) * inner) + i] = values[(((a * plan.rows + r) * plan.cols + c) * inner) + i] as number;
        }
      }
    }
  }
  return out;
}

const iota = (n: number) => Float32Array.from({ length: n }, (_, i) => i + 0.5);
const size = (shape: readonly number[]) => shape.reduce((n, s) => n * s, 1);

/** A shape of rank 1–5 (sizes 1–6) and a permutation of its axes. */
const shapeAndPerm = fc
  .array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 })
  .chain((shape) => fc.shuffledSubarray([...shape.keys()], { minLength: shape.length, maxLength: shape.length }).map((perm) => ({ shape, perm })));

describe('planTranspose', () => {
  it('reduces the permutations of training to a kernel form', () => {
    expect(planTranspose([2048, 128], [1, 0])).toEqual({ kind: 'elements', outer: 1, rows: 2048, cols: 128 });
    expect(planTranspose([64, 128, 32], [0, 2, 1])).toEqual({ kind: 'elements', outer: 64, rows: 128, cols: 32 });
    expect(planTranspose([64, 128, 32], [1, 2, 0])).toEqual({ kind: 'elements', outer: 1, rows: 64, cols: 128 * 32 });
    expect(planTranspose([16, 128, 4, 32], [0, 2, 1, 3])).toEqual({ kind: 'blocks', outer: 16, rows: 128, cols: 4, inner: 32 });
    expect(planTranspose([128, 64, 32], [1, 0, 2])).toEqual({ kind: 'blocks', outer: 1, rows: 128, cols: 64, inner: 32 });
    expect(planTranspose([4, 1, 5], [0, 2, 1])).toEqual({ kind: 'copy' });
    expect(planTranspose([2, 3, 4], [2, 1, 0])).toBeNull();
    expect(() => planTranspose([2, 3], [0])).toThrow(/perm has 1 axes, shape 2/);
  });

  it('every plan moves each element where the permutation says (property)', () => {
    fc.assert(
      fc.property(shapeAndPerm, ({ shape, perm }) => {
        const plan = planTranspose(shape, perm);
        if (!plan) return;
        const values = iota(size(shape));
        expect(Array.from(runPlan(plan, values))).toEqual(transposeReference(values, shape, perm));
      }),
      { numRuns: 300 },
    );
  });
});

/** The kernel on `memory`: run every planned permutation of random shapes against the reference. */
function checkKernelOn(memory: WasmMemory): void {
  const kernel = transposeKernelFor(memory);
  expect(kernel).not.toBeNull();
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 11 }), { minLength: 2, maxLength: 4 }).chain((shape) =>
        fc.shuffledSubarray([...shape.keys()], { minLength: shape.length, maxLength: shape.length }).map((perm) => ({ shape, perm })),
      ),
      ({ shape, perm }) => {
        const plan = planTranspose(shape, perm);
        if (!plan || plan.kind === 'copy') return;
        const n = size(shape);
        const source = 64; // byte offsets, the output right after the input (+ a guard word)
        const target = source + 4 * n + 4;
        const heap = new Float32Array(memory.buffer);
        heap.fill(-1);
        heap.set(iota(n), source / 4);
        kernel?.run(plan, source, target);
        expect(Array.from(heap.subarray(target / 4, target / 4 + n))).toEqual(transposeReference(iota(n), shape, perm));
        expect(heap[target / 4 + n]).toBe(-1); // nothing written past the output
        expect(heap[target / 4 - 1]).toBe(-1); // nor between input and output
      },
    ),
    { numRuns: 200 },
  );
  // Output rows a multiple of 2 KiB apart take the 16-row blocks of the kernel (with tails).
  for (const rows of [512, 1024, 1536]) {
    for (const cols of [2, 4, 5, 7, 11]) {
      for (const outer of [1, 2]) {
        const shape = outer === 1 ? [rows, cols] : [outer, rows, cols];
        const perm = outer === 1 ? [1, 0] : [0, 2, 1];
        const plan = planTranspose(shape, perm);
        expect(plan?.kind).toBe('elements');
        const n = size(shape);
        const source = 64;
        const target = source + 4 * n + 4;
        const heap = new Float32Array(memory.buffer);
        heap.fill(-1);
        heap.set(iota(n), source / 4);
        kernel?.run(plan as Exclude<TransposePlan, { kind: 'copy' }>, source, target);
        expect(Array.from(heap.subarray(target / 4, target / 4 + n))).toEqual(transposeReference(iota(n), shape, perm));
        expect(heap[target / 4 + n]).toBe(-1);
      }
    }
  }
}

describe('transpose kernel', () => {
  const WebAssemblyApi = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory } }).WebAssembly;

  it('equals the reference on a plain memory, including sizes that are not multiples of 4', () => {
    checkKernelOn(new WebAssemblyApi.Memory({ initial: 8 })); // 512 KiB: input and output of up to 2 × 1,536 × 11 floats
  });

  it('equals the reference on a shared memory (the multi-threaded backend’s)', () => {
    const memory = new WebAssemblyApi.Memory({ initial: 8, maximum: 16, shared: true });
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    checkKernelOn(memory);
  });
});

describe('wasm backend with the replaced kernels', () => {
  beforeAll(setupBackend);

  it('replaces Transpose and gives tf.transpose bit-identical results to the reference (float32 and int32)', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(installWasmKernels('oreal')).toEqual(['Transpose', 'Identity', 'Cast', 'GatherV2', 'CausalAttention', 'AdamW', 'Rotary', 'RMSNorm', 'SwiGLU']);
    const cases: [number[], number[]][] = [
      [[37, 21], [1, 0]],
      [[3, 9, 5], [0, 2, 1]],
      [[3, 9, 5], [2, 0, 1]],
      [[2, 7, 3, 6], [0, 2, 1, 3]],
      [[2, 3, 4], [2, 1, 0]], // no kernel form: tfjs's own kernel
      [[4, 1, 5], [0, 2, 1]], // a copy
    ];
    for (const [shape, perm] of cases) {
      for (const dtype of ['float32', 'int32'] as const) {
        const values = dtype === 'float32' ? iota(size(shape)) : Int32Array.from({ length: size(shape) }, (_, i) => i * 3 - 7);
        const x = tf.tensor(values, shape, dtype);
        const y = tf.transpose(x, perm);
        expect(y.shape).toEqual(perm.map((axis) => shape[axis]));
        expect(y.dtype).toBe(dtype);
        expect(Array.from(y.dataSync())).toEqual(transposeReference(Array.from(values), shape, perm));
        tf.dispose([x, y]);
      }
    }
  });

  it('keeps the gradient of a transpose (a transpose by the inverse permutation)', () => {
    const x = tf.tensor(iota(2 * 5 * 3), [2, 5, 3]);
    const weights = tf.tensor(iota(2 * 5 * 3).map((v) => v * v), [3, 2, 5]);
    const gradient = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.transpose(input, [2, 0, 1]), weights)))(x);
    expect(Array.from(gradient.dataSync())).toEqual(transposeReference(Array.from(weights.dataSync()), [3, 2, 5], [1, 2, 0]));
    tf.dispose([x, weights, gradient]);
  });

  it('Identity shares the data: a clone outlives its source, frees the memory once both are gone, and strings still copy', () => {
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const before = backend.numDataIds();
    const x = tf.tensor([1.5, -2, 3], [3]);
    const clone = tf.clone(x);
    expect(backend.numDataIds()).toBe(before + 1); // one buffer, two tensors
    x.dispose();
    expect(Array.from(clone.dataSync())).toEqual([1.5, -2, 3]);
    clone.dispose();
    expect(backend.numDataIds()).toBe(before);
    const words = tf.tensor(['a', 'bc']);
    const wordsClone = tf.clone(words);
    words.dispose();
    expect(wordsClone.arraySync()).toEqual(['a', 'bc']);
    wordsClone.dispose();
    expect(backend.numDataIds()).toBe(before);
  });

  it('AdamW in one kernel gives the tensor ops\' bits (with and without decay and clipping, sizes not multiples of 4)', () => {
    const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
    for (const [size, weightDecay, clip, step] of [[185, 0.01, 1, 1], [64, 0, 0.37, 3], [3, 0.1, 0.9, 250]] as const) {
      const parameter = tf.tensor(randomValues(size, `p${size}`));
      const gradient = tf.tensor(randomValues(size, `g${size}`, 3));
      const m = tf.tensor(randomValues(size, `m${size}`, 0.1));
      const v = tf.tensor(randomValues(size, `v${size}`, 0.1).map(Math.abs));
      const hyper = { learningRate: 3e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay, step, clip };
      const fused = heapAdamW(parameter, gradient, m, v, hyper);
      const reference = adamWWithTensorOps(parameter, gradient, m, v, hyper);
      fused.forEach((t, i) => expect(bits(t), `output ${i} of size ${size}`).toEqual(bits(reference[i] as tf.Tensor)));
      expect(Math.max(...Array.from(tf.tidy(() => tf.abs(tf.sub(fused[0], parameter))).dataSync()))).toBeGreaterThan(1e-4); // it moved
      tf.dispose([parameter, gradient, m, v, ...fused, ...reference]);
    }
    expect(() => tf.tidy(() => heapAdamW(tf.zeros([4]), tf.zeros([3]), tf.zeros([4]), tf.zeros([4]), { learningRate: 1, beta1: 0.9, beta2: 0.9, epsilon: 1, weightDecay: 0, step: 1, clip: 1 }))).toThrow(/gradient must be float32 of the parameter's shape/);
  });

  it('rotary in one kernel gives the tensor formulation\'s values and gradient (bit for bit on non-zero data)', () => {
    const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
    const [B, T, N, D] = [3, 5, 2, 16];
    const x = tf.tensor4d(randomValues(B * T * N * D, 'rx'), [B, T, N, D]);
    const cos = tf.tensor4d(randomValues(B * T * D, 'rc'), [B, T, 1, D]);
    const sin = tf.tensor4d(randomValues(B * T * D, 'rs'), [B, T, 1, D]);
    const weights = tf.tensor4d(randomValues(B * T * N * D, 'rw'), [B, T, N, D]);
    const rotateHalf = tf.tensor2d(rotateHalfMatrix(D), [D, D]);
    expect(heapRotaryApplies(x, cos, sin)).toBe(true);
    const wrongTable = tf.zeros([B, T, N, D]) as tf.Tensor4D;
    expect(heapRotaryApplies(x, wrongTable, sin)).toBe(false); // tables must be [B, T, 1, D]
    wrongTable.dispose();
    const kernel = heapRotary(x, cos, sin);
    const reference = rotaryWithTensorOps(x, cos, sin, rotateHalf);
    expect(bits(kernel)).toEqual(bits(reference));
    const loss = (rotate: (input: tf.Tensor4D) => tf.Tensor4D) => (input: tf.Tensor) => tf.sum(tf.mul(rotate(input as tf.Tensor4D), weights));
    const kernelGradient = tf.grad(loss((input) => heapRotary(input, cos, sin)))(x);
    const referenceGradient = tf.grad(loss((input) => rotaryWithTensorOps(input, cos, sin, rotateHalf)))(x);
    expect(bits(kernelGradient)).toEqual(bits(referenceGradient));
    tf.dispose([x, cos, sin, weights, rotateHalf, kernel, reference, kernelGradient, referenceGradient]);
  });

  it('Cast to the same dtype shares the data; casts between dtypes still convert', () => {
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const x = tf.tensor([1.75, -2.5, 3]);
    const before = backend.numDataIds();
    const same = tf.cast(x, 'float32');
    expect(backend.numDataIds()).toBe(before);
    const toInt = tf.cast(x, 'int32');
    expect(Array.from(same.dataSync())).toEqual([1.75, -2.5, 3]);
    expect(Array.from(toInt.dataSync())).toEqual([1, -2, 3]);
    expect(toInt.dtype).toBe('int32');
    tf.dispose([x, same, toInt]);
  });

  it('GatherV2 along axis 0 picks whole rows (float32 and int32, any table rank, any index shape) and checks the indices', () => {
    for (const [tableShape, indexShape] of [[[5, 3], [7]], [[4], [2, 3]], [[3, 2, 2], [4]], [[6, 1], [0]]] as [number[], number[]][]) {
      for (const dtype of ['float32', 'int32'] as const) {
        const table = Array.from({ length: size(tableShape) }, (_, i) => (dtype === 'float32' ? i * 0.5 - 1 : i * 3 - 4));
        const x = tf.tensor(table, tableShape, dtype);
        const ids = Array.from({ length: size(indexShape) }, (_, i) => (i * 7 + 2) % (tableShape[0] as number));
        const indices = tf.tensor(ids, indexShape, 'int32');
        const y = tf.gather(x, indices);
        const row = size(tableShape.slice(1));
        expect(y.shape).toEqual([...indexShape, ...tableShape.slice(1)]);
        expect(y.dtype).toBe(dtype);
        expect(Array.from(y.dataSync())).toEqual(ids.flatMap((id) => table.slice(id * row, (id + 1) * row)));
        tf.dispose([x, indices, y]);
      }
    }
    const x = tf.tensor([[1, 2], [3, 4]]);
    const outOfRange = tf.tensor([0, 2], [2], 'int32');
    const one = tf.tensor([1], [1], 'int32');
    const tensorsBefore = tf.memory().numTensors;
    expect(() => tf.gather(x, outOfRange)).toThrow('GatherV2: the index value 2 is not in [0, 1]');
    expect(tf.memory().numTensors).toBe(tensorsBefore); // no output left behind
    const columns = tf.gather(x, one, 1); // another axis: tfjs's kernel
    expect(columns.arraySync()).toEqual([[2], [4]]);
    tf.dispose([x, outOfRange, one, columns]);
  });

  it('returns nothing replaced for tfjs, and reads OREAL_WASM_KERNELS strictly', () => {
    expect(installWasmKernels('tfjs')).toEqual([]);
    expect(parseWasmKernels(undefined)).toBe('oreal');
    expect(parseWasmKernels(' tfjs ')).toBe('tfjs');
    expect(() => parseWasmKernels('fast')).toThrow(/OREAL_WASM_KERNELS/);
  });
});
