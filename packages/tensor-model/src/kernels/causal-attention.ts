/**
 * The full-sequence attention kernel (`causal-attention.wat`, wasm SIMD): forward and backward of
 * softmax(scale·q·kᵀ + bias)·v for T queries over the same T keys, in the layout the projections
 * produce ([B, T, heads, D]), so no transpose is needed around it. Plain Float32Arrays in and out
 * (`ops/fused-attention.ts` adapts it to TensorFlow.js). One module instance, one memory that
 * grows to the largest call seen.
 */
import { CAUSAL_ATTENTION_SHARED_WASM_BASE64, CAUSAL_ATTENTION_WASM_BASE64 } from './causal-attention.wasm';
import { compileKernel, wasmApi, type WasmMemory } from './wasm-api';

/** Sizes of one call. */
export interface CausalAttentionShape {
  /** B */
  readonly batch: number;
  /** T (queries = keys) */
  readonly time: number;
  /** H */
  readonly heads: number;
  /** H_kv (divides H) */
  readonly kvHeads: number;
  /** D (a multiple of 4) */
  readonly headDim: number;
}

/** The forward result: the output and the row statistics the backward pass needs. */
export interface CausalAttentionForward {
  /** [B, T, H, D] */
  readonly output: Float32Array;
  /** [B, H, T] row max of the scores */
  readonly rowMax: Float32Array;
  /** [B, H, T] row sum of exp(score − max) */
  readonly rowSum: Float32Array;
}

/** The gradients with respect to q, k and v. */
export interface CausalAttentionGradients {
  readonly query: Float32Array;
  readonly key: Float32Array;
  readonly value: Float32Array;
}

type Pointer = number;
/**
 * The module's exports. Both passes do the work units [first, last): unit u = (batch u / H_kv,
 * key head u % H_kv), B·H_kv units in all; p is scratch: two rows of T floats, each rounded up to
 * 16 bytes (the passes take query rows two at a time).
 */
interface KernelExports {
  forward(
    batch: number, time: number, heads: number, kvHeads: number, dim: number, scale: number,
    q: Pointer, k: Pointer, v: Pointer, bias: Pointer, o: Pointer, m: Pointer, l: Pointer,
    p: Pointer, first: number, last: number,
  ): void;
  backward(
    batch: number, time: number, heads: number, kvHeads: number, dim: number, scale: number,
    q: Pointer, k: Pointer, v: Pointer, bias: Pointer, o: Pointer, m: Pointer, l: Pointer,
    dO: Pointer, dq: Pointer, dk: Pointer, dv: Pointer, p: Pointer, first: number, last: number,
  ): void;
}

/** Work units of one call: one per (batch row, key head). */
export function attentionUnits(shape: CausalAttentionShape): number {
  return shape.batch * shape.kvHeads;
}

let sharedModule: object | null | undefined;
let plainModule: object | null | undefined;

/** The compiled kernel for a memory of this kind (shared: the multi-threaded backend's); null without wasm SIMD. */
export function causalAttentionModule(shared: boolean): object | null {
  return shared ? (sharedModule ??= compileKernel(CAUSAL_ATTENTION_SHARED_WASM_BASE64)) : (plainModule ??= compileKernel(CAUSAL_ATTENTION_WASM_BASE64));
}

const WASM_PAGE = 65_536;
const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/** Scratch bytes one thread of either pass needs for T = `time`: two rows of scores, each 16-byte aligned (the rows go two at a time). */
export function attentionScratchBytes(time: number): number {
  return 2 * align16(time * 4);
}

let instance: { memory: WasmMemory; kernel: KernelExports } | null | undefined;

function kernelInstance(): { memory: WasmMemory; kernel: KernelExports } | null {
  if (instance === undefined) {
    const compiled = causalAttentionModule(false);
    if (!compiled || !wasmApi) {
      instance = null;
    } else {
      const memory = new wasmApi.Memory({ initial: 16 });
      instance = { memory, kernel: new wasmApi.Instance(compiled, { env: { memory } }).exports as KernelExports };
    }
  }
  return instance;
}

/** Whether the kernel can run attention of these sizes here (WebAssembly SIMD present, D % 4 = 0, H_kv | H). */
export function causalAttentionSupported(shape: Pick<CausalAttentionShape, 'heads' | 'kvHeads' | 'headDim'>): boolean {
  return shape.headDim % 4 === 0 && shape.heads % shape.kvHeads === 0 && kernelInstance() !== null;
}

function checkShape(shape: CausalAttentionShape, arrays: Record<string, [Float32Array, number]>): void {
  if (!causalAttentionSupported(shape)) {
    throw new Error(`causal-attention kernel: unsupported here or for heads ${shape.heads}, kvHeads ${shape.kvHeads}, headDim ${shape.headDim}`);
  }
  for (const [name, [array, size]] of Object.entries(arrays)) {
    if (array.length !== size) throw new Error(`causal-attention kernel: ${name} has ${array.length} values, expected ${size}`);
  }
}

/** Byte offsets of every array of one call, and the total. */
function layout(shape: CausalAttentionShape, backward: boolean) {
  const { batch, time, heads, kvHeads, headDim } = shape;
  const queryBytes = batch * time * heads * headDim * 4;
  const keyBytes = batch * time * kvHeads * headDim * 4;
  const statBytes = batch * heads * time * 4;
  let at = 0;
  const take = (bytes: number): number => {
    const start = at;
    at += align16(bytes);
    return start;
  };
  const offsets = {
    q: take(queryBytes), k: take(keyBytes), v: take(keyBytes), bias: take(batch * time * time * 4),
    o: take(queryBytes), m: take(statBytes), l: take(statBytes), p: take(attentionScratchBytes(time)),
    dO: backward ? take(queryBytes) : 0, dq: backward ? take(queryBytes) : 0,
    dk: backward ? take(keyBytes) : 0, dv: backward ? take(keyBytes) : 0,
  };
  return { offsets, bytes: at, queryValues: queryBytes / 4, keyValues: keyBytes / 4, statValues: statBytes / 4 };
}

/** Copy the inputs both passes read (q, k, v, bias) to their offsets; returns a view of the memory. */
function writeInputs(
  memory: WasmMemory, o: ReturnType<typeof layout>['offsets'], query: Float32Array, key: Float32Array, value: Float32Array, bias: Float32Array,
): Float32Array {
  const heap = new Float32Array(memory.buffer);
  heap.set(query, o.q / 4);
  heap.set(key, o.k / 4);
  heap.set(value, o.v / 4);
  heap.set(bias, o.bias / 4);
  return heap;
}

function memoryOf(bytes: number): { memory: WasmMemory; kernel: KernelExports } {
  const entry = kernelInstance() as { memory: WasmMemory; kernel: KernelExports };
  const have = entry.memory.buffer.byteLength;
  if (have < bytes) entry.memory.grow(Math.ceil((bytes - have) / WASM_PAGE));
  return entry;
}

/**
 * softmax(scale·q·kᵀ + bias)·v. q [B, T, H, D], k and v [B, T, H_kv, D], bias [B, T, T]
 * (additive: 0, or ≤ −5e8 for a key that is not attended; every row needs one attended key).
 */
export function causalAttentionForward(
  shape: CausalAttentionShape, query: Float32Array, key: Float32Array, value: Float32Array, bias: Float32Array, scale: number,
): CausalAttentionForward {
  const plan = layout(shape, false);
  checkShape(shape, {
    query: [query, plan.queryValues], key: [key, plan.keyValues], value: [value, plan.keyValues],
    bias: [bias, shape.batch * shape.time * shape.time],
  });
  const { memory, kernel } = memoryOf(plan.bytes);
  const o = plan.offsets;
  const heap = writeInputs(memory, o, query, key, value, bias);
  kernel.forward(shape.batch, shape.time, shape.heads, shape.kvHeads, shape.headDim, scale, o.q, o.k, o.v, o.bias, o.o, o.m, o.l, o.p, 0, attentionUnits(shape));
  return {
    output: heap.slice(o.o / 4, o.o / 4 + plan.queryValues),
    rowMax: heap.slice(o.m / 4, o.m / 4 + plan.statValues),
    rowSum: heap.slice(o.l / 4, o.l / 4 + plan.statValues),
  };
}

/** Gradients of the forward above for the output gradient `outputGradient` [B, T, H, D]. */
export function causalAttentionBackward(
  shape: CausalAttentionShape, query: Float32Array, key: Float32Array, value: Float32Array, bias: Float32Array, scale: number,
  forward: CausalAttentionForward, outputGradient: Float32Array,
): CausalAttentionGradients {
  const plan = layout(shape, true);
  checkShape(shape, {
    query: [query, plan.queryValues], key: [key, plan.keyValues], value: [value, plan.keyValues],
    bias: [bias, shape.batch * shape.time * shape.time], output: [forward.output, plan.queryValues],
    rowMax: [forward.rowMax, plan.statValues], rowSum: [forward.rowSum, plan.statValues], outputGradient: [outputGradient, plan.queryValues],
  });
  const { memory, kernel } = memoryOf(plan.bytes);
  const o = plan.offsets;
  const heap = writeInputs(memory, o, query, key, value, bias);
  heap.set(forward.output, o.o / 4);
  heap.set(forward.rowMax, o.m / 4);
  heap.set(forward.rowSum, o.l / 4);
  heap.set(outputGradient, o.dO / 4);
  kernel.backward(
    shape.batch, shape.time, shape.heads, shape.kvHeads, shape.headDim, scale,
    o.q, o.k, o.v, o.bias, o.o, o.m, o.l, o.dO, o.dq, o.dk, o.dv, o.p, 0, attentionUnits(shape),
  );
  return {
    query: heap.slice(o.dq / 4, o.dq / 4 + plan.queryValues),
    key: heap.slice(o.dk / 4, o.dk / 4 + plan.keyValues),
    value: heap.slice(o.dv / 4, o.dv / 4 + plan.keyValues),
  };
}
