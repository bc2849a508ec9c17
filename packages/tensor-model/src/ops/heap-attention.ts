/**
 * Full-sequence causal attention on the wasm backend, run by the `causal-attention.wat` kernel in
 * the backend's own memory, on every wasm thread.
 *
 * `ops/fused-attention.ts` runs the same kernel on host copies (its own memory, one thread): each
 * call copies q, k, v, the mask and the results in and out, and one core idles. Here the kernel is
 * registered as two TensorFlow.js kernels of the wasm backend (`OrealCausalAttention` and its
 * gradient `OrealCausalAttentionGrad`): they read the input tensors where tfjs keeps them and
 * write into outputs tfjs allocates, and with the multi-threaded build a `KernelPool` spreads the
 * (batch row, key head) units over the threads. Each unit is done by one thread in one order, so
 * one and two threads give identical results.
 */
import * as tf from '@tensorflow/tfjs';
import { attentionScratchBytes, attentionUnits, causalAttentionModule } from '../kernels/causal-attention';
import { createKernelPool, type KernelPool } from '../kernels/kernel-pool';
import { isSharedMemory, type WasmMemory } from '../kernels/wasm-api';
import { memoryOffset, registerBackendKernel, type HeapBackend } from './heap-backend';

/** Kernel names registered for the wasm backend. */
export const CAUSAL_ATTENTION_KERNEL = 'OrealCausalAttention';
export const CAUSAL_ATTENTION_GRAD_KERNEL = 'OrealCausalAttentionGrad';

const offset = (backend: HeapBackend, info: tf.TensorInfo): number => memoryOffset(backend, info, 'heap attention');

/** Sizes read from q [B, T, H, D] and k [B, T, H_kv, D]. */
function sizes(query: tf.TensorInfo, key: tf.TensorInfo) {
  const [batch, time, heads, headDim] = query.shape as [number, number, number, number];
  return { batch, time, heads, kvHeads: key.shape[2] as number, headDim };
}

/** Run `name` over all units with per-thread scratch of two rows of T floats (both passes take query rows two at a time) from the backend's heap. */
function runUnits(backend: HeapBackend, pool: KernelPool, name: string, args: number[], units: number, time: number): void {
  const scratchBytes = attentionScratchBytes(time);
  const scratch = backend.wasm._malloc(scratchBytes * pool.threads);
  try {
    pool.run(name, args, units, scratch, scratchBytes);
  } finally {
    backend.wasm._free(scratch);
  }
}

/**
 * Register the two kernels for the wasm backend `owner` (memory `memory`, `threads` wasm threads).
 * Returns false where the kernel cannot run (no wasm SIMD).
 */
export function registerHeapAttention(owner: HeapBackend, memory: WasmMemory, threads: number): boolean {
  const shared = isSharedMemory(memory);
  const module = causalAttentionModule(shared);
  if (!module) return false;
  let pool: KernelPool | undefined;
  // Started on first use: a process that never trains with it starts no worker.
  const poolFor = (): KernelPool => (pool ??= createKernelPool(module, memory, ['forward', 'backward'], shared ? threads : 1));
  registerBackendKernel(CAUSAL_ATTENTION_KERNEL, owner, 'heap attention', ({ inputs, attrs }) => {
    const { q, k, v, bias } = inputs as Record<string, tf.TensorInfo>;
    const query = q as tf.TensorInfo;
    const s = sizes(query, k as tf.TensorInfo);
    const scale = (attrs as unknown as { scale: number }).scale;
    const output = owner.makeOutput([...query.shape], 'float32');
    const rowMax = owner.makeOutput([s.batch, s.heads, s.time], 'float32');
    const rowSum = owner.makeOutput([s.batch, s.heads, s.time], 'float32');
    const pointers = [query, k, v, bias, output, rowMax, rowSum].map((info) => offset(owner, info as tf.TensorInfo));
    runUnits(owner, poolFor(), 'forward', [s.batch, s.time, s.heads, s.kvHeads, s.headDim, scale, ...pointers], attentionUnits(s), s.time);
    return [output, rowMax, rowSum];
  });
  registerBackendKernel(CAUSAL_ATTENTION_GRAD_KERNEL, owner, 'heap attention', ({ inputs, attrs }) => {
    const { q, k, v, bias, o, m, l, dy } = inputs as Record<string, tf.TensorInfo>;
    const query = q as tf.TensorInfo;
    const key = k as tf.TensorInfo;
    const s = sizes(query, key);
    const scale = (attrs as unknown as { scale: number }).scale;
    const dq = owner.makeOutput([...query.shape], 'float32');
    const dk = owner.makeOutput([...key.shape], 'float32');
    const dv = owner.makeOutput([...key.shape], 'float32');
    const pointers = [query, key, v, bias, o, m, l, dy, dq, dk, dv].map((info) => offset(owner, info as tf.TensorInfo));
    runUnits(owner, poolFor(), 'backward', [s.batch, s.time, s.heads, s.kvHeads, s.headDim, scale, ...pointers], attentionUnits(s), s.time);
    return [dq, dk, dv];
  });
  return true;
}

/** Whether the heap kernels are registered and the wasm backend is active. */
export function heapAttentionAvailable(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(CAUSAL_ATTENTION_KERNEL, 'wasm') !== undefined;
}

/**
 * softmax(q·kᵀ/√D + bias)·v with the gradient for q, k and v through the heap kernels.
 * q [B, T, H, D], k, v [B, T, H_kv, D], bias [B, 1, 1, T, T] (0 or MASKED; every row attends to
 * one key at least) → [B, T, H, D].
 */
export function heapCausalAttention(query: tf.Tensor4D, key: tf.Tensor4D, value: tf.Tensor4D, bias: tf.Tensor): tf.Tensor4D {
  const [batch, time, , headDim] = query.shape;
  if (bias.size !== batch * time * time) {
    throw new Error(`heapCausalAttention: bias has ${bias.size} values, expected B·T·T = ${batch * time * time} (no cache)`);
  }
  const attrs = { scale: 1 / Math.sqrt(headDim) };
  const attend = tf.customGrad((q, k, v, save) => {
    const [output, rowMax, rowSum] = tf.engine().runKernel(CAUSAL_ATTENTION_KERNEL, { q, k, v, bias } as tf.NamedTensorMap, attrs) as tf.Tensor[];
    (save as tf.GradSaveFunc)([q as tf.Tensor, k as tf.Tensor, v as tf.Tensor, bias, output as tf.Tensor, rowMax as tf.Tensor, rowSum as tf.Tensor]);
    return {
      value: output as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, sk, sv, sb, so, sm, sl] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        return tf.engine().runKernel(CAUSAL_ATTENTION_GRAD_KERNEL, { q: sq, k: sk, v: sv, bias: sb, o: so, m: sm, l: sl, dy } as tf.NamedTensorMap, attrs) as tf.Tensor[];
      },
    };
  });
  return attend(query, key, value) as tf.Tensor4D;
}
