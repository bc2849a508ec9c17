/**
 * TensorFlow.js kernels of the wasm backend replaced by faster ones that run in the backend's own
 * memory: inputs and outputs stay where tfjs keeps them (no copies), only the loop differs.
 *
 * - `Transpose`: tfjs-wasm 4.22 walks the output with strided scalar reads; a training step of the
 *   side-by-side config A spends ~20 % of its time there (187 transposes a step). The replacement
 *   (`kernels/transpose.wat`) moves 4×4 tiles through SIMD registers or copies whole blocks. A
 *   transpose only moves data, so results are bit-identical.
 * - `Identity`: tfjs-wasm copies the tensor. TensorFlow.js clones every tensor a gradient saves
 *   (`saveTensorsForBackwardMode`: ~300 clones a step of config A, ~4 % of it). The replacement
 *   shares the data and counts one more reference, as the cpu backend's Identity and wasm's own
 *   Reshape do; nothing on the backend writes into a tensor's memory after it is made.
 *
 * - `Cast` to the same dtype: tfjs-wasm copies (~40 a step of config A: gradients of products cast
 *   their other operand); shared like Identity. Casts between dtypes keep tfjs's kernel.
 * - `GatherV2` along axis 0 (the embedding lookup): tfjs-wasm's generic loop took ~10 ms for 2,048
 *   rows of 128 floats; whole rows are copied here (`copyWithin` on the heap). The same index check
 *   and message as tfjs's.
 *
 * Added as kernels of their own (same memory, no copies): causal attention with its gradient
 * (`heap-attention.ts`, on every wasm thread), the AdamW step of one parameter (`heap-adamw.ts`),
 * rotary embedding (`heap-rotary.ts`), RMSNorm (`heap-rms-norm.ts`) and the SwiGLU gate
 * (`heap-swiglu.ts`) with their gradients, the last four with the values of the tensor ops they
 * replace.
 *
 * Installed by `initBackend` once the wasm backend is active; `OREAL_WASM_KERNELS=tfjs` keeps
 * tfjs's own kernels (to compare, or if a replacement misbehaves). Cases a replacement does not
 * handle (other dtypes, permutations that reduce to no kernel form) go to the original kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@oreal-ts/core';
import { planTranspose, transposeKernelFor, type TransposeKernel } from '../kernels/transpose';
import type { WasmMemory } from '../kernels/wasm-api';
import { registerHeapAdamW } from './heap-adamw';
import { registerHeapAttention } from './heap-attention';
import { backendMemory, memoryOffset, registerWasmKernel, type HeapBackend } from './heap-backend';
import { registerHeapRmsNorm } from './heap-rms-norm';
import { registerHeapRotary } from './heap-rotary';
import { registerHeapSwiGlu } from './heap-swiglu';

/** Environment variable choosing the kernels: `oreal` (default: the replacements) or `tfjs`. */
export const WASM_KERNELS_ENV = 'OREAL_WASM_KERNELS';

/** Which wasm kernels run. */
export type WasmKernelsChoice = 'oreal' | 'tfjs';

/** The choice in `OREAL_WASM_KERNELS` (default `oreal`); an unknown value is an error naming the variable. */
export function parseWasmKernels(value: string | undefined): WasmKernelsChoice {
  const choice = value?.trim() || 'oreal';
  if (choice !== 'oreal' && choice !== 'tfjs') throw new InvalidArgumentError(WASM_KERNELS_ENV, `is "${choice}"; expected oreal or tfjs`);
  return choice;
}

const offsetOf = (backend: HeapBackend, info: tf.TensorInfo): number => memoryOffset(backend, info, 'wasm kernels');

const added = new WeakMap<object, readonly string[]>();

/**
 * Register the replacement kernels for the active wasm backend (once per backend instance), and
 * the heap causal-attention kernels (`ops/heap-attention.ts`, on `threads` threads). Returns the
 * kernel names now replaced or added; empty when `choice` is `tfjs`, the backend is not wasm, or
 * its memory cannot host the kernels.
 */
export function installWasmKernels(choice: WasmKernelsChoice, threads = 1): readonly string[] {
  if (choice === 'tfjs' || tf.getBackend() !== 'wasm') return [];
  const backend = tf.backend() as unknown as HeapBackend;
  const memory = backendMemory(backend);
  const transposeKernel = memory ? transposeKernelFor(memory) : null;
  if (!memory || !transposeKernel) return [];
  const known = added.get(backend);
  if (known) return known;
  replaceTranspose(backend, transposeKernel);
  replaceIdentity(backend);
  replaceCast(backend);
  replaceGather(backend, memory);
  const names = [
    'Transpose',
    'Identity',
    'Cast',
    'GatherV2',
    ...(registerHeapAttention(backend, memory, threads) ? ['CausalAttention'] : []),
    ...(registerHeapAdamW(backend, memory) ? ['AdamW'] : []),
    ...(registerHeapRotary(backend, memory) ? ['Rotary'] : []),
    ...(registerHeapRmsNorm(backend, memory) ? ['RMSNorm'] : []),
    ...(registerHeapSwiGlu(backend, memory) ? ['SwiGLU'] : []),
  ];
  added.set(backend, names);
  return names;
}

/**
 * Replace tfjs-wasm's `kernelName` by `handle`, which returns the result, or undefined to let
 * tfjs's kernel do it (cases it does not cover; a backend instance other than `owner`).
 */
function replaceKernel(kernelName: string, owner: HeapBackend, handle: (args: Parameters<tf.KernelFunc>[0]) => tf.TensorInfo | undefined): void {
  const original = tf.getKernel(kernelName, 'wasm');
  if (!original) return;
  const fallback = original.kernelFunc;
  registerWasmKernel(kernelName, (args) => ((args.backend as unknown) === owner ? handle(args) : undefined) ?? fallback(args), original);
}

function replaceTranspose(owner: HeapBackend, kernel: TransposeKernel): void {
  replaceKernel('Transpose', owner, ({ inputs, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    const perm = (attrs as unknown as { perm: number[] }).perm;
    const plan = x.dtype === 'float32' || x.dtype === 'int32' ? planTranspose(x.shape, perm) : null;
    if (!plan || plan.kind === 'copy') return undefined;
    const out = owner.makeOutput(perm.map((axis) => x.shape[axis] as number), x.dtype);
    kernel.run(plan, offsetOf(owner, x), offsetOf(owner, out));
    return out;
  });
}

/** The same data under one more reference (what the cpu backend's Identity and wasm's Reshape return). */
function shared(owner: HeapBackend, x: tf.TensorInfo): tf.TensorInfo {
  owner.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function replaceIdentity(owner: HeapBackend): void {
  replaceKernel('Identity', owner, ({ inputs }) => {
    const x = inputs.x as tf.TensorInfo;
    return x.dtype === 'string' ? undefined : shared(owner, x);
  });
}

function replaceCast(owner: HeapBackend): void {
  replaceKernel('Cast', owner, ({ inputs, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    const dtype = (attrs as unknown as { dtype: tf.DataType }).dtype;
    return dtype !== x.dtype || x.dtype === 'string' ? undefined : shared(owner, x);
  });
}

function replaceGather(owner: HeapBackend, memory: WasmMemory): void {
  replaceKernel('GatherV2', owner, ({ inputs, attrs }) => {
    const { x, indices } = inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = attrs as unknown as { axis: number; batchDims: number };
    const fourBytes = x.dtype === 'float32' || x.dtype === 'int32';
    if (!fourBytes || indices.dtype !== 'int32' || x.shape.length === 0 || (axis !== 0 && axis !== -x.shape.length) || (batchDims ?? 0) !== 0) {
      return undefined;
    }
    const rows = x.shape[0] as number;
    const rowSize = x.shape.slice(1).reduce((n, s) => n * s, 1);
    const out = owner.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
    const count = indices.shape.reduce((n, s) => n * s, 1);
    // A view made after makeOutput: allocating may have grown (and replaced) the buffer.
    const heap = new Int32Array(memory.buffer);
    const first = offsetOf(owner, indices) / 4;
    const ids = heap.subarray(first, first + count);
    const source = offsetOf(owner, x) / 4;
    const target = offsetOf(owner, out) / 4;
    for (let i = 0; i < count; i++) {
      const index = ids[i] as number;
      if (!(index >= 0 && index <= rows - 1)) {
        owner.disposeData(out.dataId);
        throw new Error(`GatherV2: the index value ${index} is not in [0, ${rows - 1}]`);
      }
      heap.copyWithin(target + i * rowSize, source + index * rowSize, source + (index + 1) * rowSize);
    }
    return out;
  });
}
