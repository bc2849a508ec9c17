/**
 * Axis permutations as one of the two forms `transpose.wat` runs, and the kernel instantiated on a
 * given WebAssembly memory (the wasm backend's own: `ops/wasm-kernels.ts`). No TensorFlow.js here.
 *
 * `planTranspose` drops size-1 axes and merges output axes that stay next to each other in the
 * input; what is left is a no-op, a batch of matrix transposes of 4-byte elements, or a batch of
 * matrix transposes of contiguous blocks. Permutations that reduce to none of these (a 3-axis
 * reversal, say) return null, and the caller keeps TensorFlow.js's own kernel for them.
 */
import { TRANSPOSE_SHARED_WASM_BASE64, TRANSPOSE_WASM_BASE64 } from './transpose.wasm';
import { instantiateOnMemory, type WasmMemory } from './wasm-api';

/** A permutation in the form the kernel runs (sizes in elements of 4 bytes). */
export type TransposePlan =
  /** Nothing moves: the output is a copy of the input. */
  | { readonly kind: 'copy' }
  /** out[a, c, r] = in[a, r, c] for `outer` matrices of rows × cols elements. */
  | { readonly kind: 'elements'; readonly outer: number; readonly rows: number; readonly cols: number }
  /** out[a, c, r, :] = in[a, r, c, :] with blocks of `inner` contiguous elements. */
  | { readonly kind: 'blocks'; readonly outer: number; readonly rows: number; readonly cols: number; readonly inner: number };

/**
 * The kernel form of transposing `shape` by `perm` (output axis i = input axis perm[i]), or null
 * when the permutation does not reduce to one of them. Pure.
 */
export function planTranspose(shape: readonly number[], perm: readonly number[]): TransposePlan | null {
  if (perm.length !== shape.length) throw new RangeError(`planTranspose: perm has ${perm.length} axes, shape ${shape.length}`);
  // Number the input axes of size > 1 consecutively (size-1 axes move no data), then read the
  // output axes in that numbering.
  const kept = shape.map((_, axis) => axis).filter((axis) => shape[axis] !== 1);
  const compact = new Map(kept.map((axis, index) => [axis, index]));
  const order = perm.filter((axis) => shape[axis] !== 1).map((axis) => compact.get(axis) as number);
  const keptShape = kept.map((axis) => shape[axis] as number);
  // Merge runs of output axes that are consecutive input axes: each run is one axis.
  const runs: number[][] = [];
  for (const axis of order) {
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1] === axis - 1) last.push(axis);
    else runs.push([axis]);
  }
  // Each run's size, and its rank among the runs in input order.
  const byInput = [...runs].sort((a, b) => (a[0] as number) - (b[0] as number));
  const rank = runs.map((run) => byInput.indexOf(run));
  const size = (run: number[]) => run.reduce((n, axis) => n * (keptShape[axis] as number), 1);
  const sizes = byInput.map(size);
  const is = (...expected: number[]) => rank.length === expected.length && rank.every((r, i) => r === expected[i]);
  if (rank.length <= 1) return { kind: 'copy' };
  if (is(1, 0)) return { kind: 'elements', outer: 1, rows: sizes[0] as number, cols: sizes[1] as number };
  if (is(0, 2, 1)) return { kind: 'elements', outer: sizes[0] as number, rows: sizes[1] as number, cols: sizes[2] as number };
  if (is(1, 0, 2)) return { kind: 'blocks', outer: 1, rows: sizes[0] as number, cols: sizes[1] as number, inner: sizes[2] as number };
  if (is(0, 2, 1, 3)) return { kind: 'blocks', outer: sizes[0] as number, rows: sizes[1] as number, cols: sizes[2] as number, inner: sizes[3] as number };
  return null;
}

/** Indices of the output element by element: out[i] = in[source[i]] (the reference for tests). */
export function transposeReference<T>(values: ArrayLike<T>, shape: readonly number[], perm: readonly number[]): T[] {
  const outShape = perm.map((axis) => shape[axis] as number);
  const inStrides = strides(shape);
  const total = shape.reduce((n, s) => n * s, 1);
  const out: T[] = new Array(total);
  const index = new Array(outShape.length).fill(0);
  for (let i = 0; i < total; i++) {
    let source = 0;
    for (let d = 0; d < perm.length; d++) source += (index[d] as number) * (inStrides[perm[d] as number] as number);
    out[i] = values[source] as T;
    for (let d = outShape.length - 1; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (outShape[d] as number)) break;
      index[d] = 0;
    }
  }
  return out;
}

function strides(shape: readonly number[]): number[] {
  const result = new Array(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) result[d] = (result[d + 1] as number) * (shape[d + 1] as number);
  return result;
}

interface TransposeExports {
  transpose_f32(src: number, dst: number, outer: number, rows: number, cols: number): void;
  transpose_blocks(src: number, dst: number, outer: number, rows: number, cols: number, bytes: number): void;
}

/** The transpose kernel bound to one memory; offsets are byte offsets into that memory. */
export interface TransposeKernel {
  /** Run `plan` (not `copy`) from `source` to `target`, 4-byte elements. */
  run(plan: Exclude<TransposePlan, { kind: 'copy' }>, source: number, target: number): void;
}

/**
 * The kernel instantiated on `memory` (shared or not, as its buffer says); null where WebAssembly
 * SIMD (or, for a shared memory, threads) is not available.
 */
export function transposeKernelFor(memory: WasmMemory): TransposeKernel | null {
  const exports = instantiateOnMemory<TransposeExports>(memory, TRANSPOSE_WASM_BASE64, TRANSPOSE_SHARED_WASM_BASE64);
  if (!exports) return null;
  return {
    run(plan, source, target) {
      if (plan.kind === 'elements') exports.transpose_f32(source, target, plan.outer, plan.rows, plan.cols);
      else exports.transpose_blocks(source, target, plan.outer, plan.rows, plan.cols, plan.inner * 4);
    },
  };
}
