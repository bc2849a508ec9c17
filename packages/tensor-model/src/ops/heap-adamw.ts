/**
 * AdamW for one parameter as one wasm-backend kernel (`kernels/adamw.wat`), in the backend's own
 * memory: the same float32 operations in the same order as `training/adamw.ts`'s tensor ops, so
 * bit-identical results (tested), in one pass instead of ~13 ops with their per-op cost.
 */
import * as tf from '@tensorflow/tfjs';
import { ADAMW_SHARED_WASM_BASE64, ADAMW_WASM_BASE64 } from '../kernels/adamw.wasm';
import { instantiateOnMemory, type WasmMemory } from '../kernels/wasm-api';
import type { AdamWHyper } from '../training/adamw';
import { memoryOffset, registerBackendKernel, type HeapBackend } from './heap-backend';

/** Kernel name registered for the wasm backend. */
export const ADAMW_KERNEL = 'OrealAdamW';

/** AdamW's hyper-parameters of one step, the clip coefficient given (1: no clipping). */
export type AdamWStep = Required<AdamWHyper>;

type AdamWFunction = (...args: number[]) => void;

const offset = (backend: HeapBackend, info: tf.TensorInfo): number => memoryOffset(backend, info, 'heap AdamW');

/** Register the kernel for the wasm backend `owner` with memory `memory`; false without wasm SIMD. */
export function registerHeapAdamW(owner: HeapBackend, memory: WasmMemory): boolean {
  const kernel = instantiateOnMemory<{ adamw: AdamWFunction }>(memory, ADAMW_WASM_BASE64, ADAMW_SHARED_WASM_BASE64);
  if (!kernel) return false;
  const { adamw } = kernel;
  registerBackendKernel(ADAMW_KERNEL, owner, 'heap AdamW', ({ inputs, attrs }) => {
    const { parameter, gradient, m, v } = inputs as Record<string, tf.TensorInfo>;
    const theta = parameter as tf.TensorInfo;
    const h = attrs as unknown as AdamWStep;
    const outputs = [0, 1, 2].map(() => owner.makeOutput([...theta.shape], 'float32'));
    const count = theta.shape.reduce((n, s) => n * s, 1);
    adamw(
      ...[theta, gradient, m, v, ...outputs].map((info) => offset(owner, info as tf.TensorInfo)), count,
      h.clip, h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2, 1 - Math.pow(h.beta1, h.step), 1 - Math.pow(h.beta2, h.step),
      h.epsilon, h.learningRate, h.learningRate * h.weightDecay, h.weightDecay > 0 ? 1 : 0,
    );
    return outputs;
  });
  return true;
}

/** Whether the kernel is registered and the wasm backend is active. */
export function heapAdamWAvailable(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(ADAMW_KERNEL, 'wasm') !== undefined;
}

/** [θ', m', v'] of one AdamW step through the kernel (float32 tensors of the parameter's shape). */
export function heapAdamW(parameter: tf.Tensor, gradient: tf.Tensor, m: tf.Tensor, v: tf.Tensor, step: AdamWStep): [tf.Tensor, tf.Tensor, tf.Tensor] {
  for (const [name, tensor] of [['gradient', gradient], ['m', m], ['v', v]] as const) {
    if (tensor.size !== parameter.size || tensor.dtype !== 'float32') throw new Error(`heapAdamW: ${name} must be float32 of the parameter's shape ${JSON.stringify(parameter.shape)}`);
  }
  return tf.engine().runKernel(ADAMW_KERNEL, { parameter, gradient, m, v } as tf.NamedTensorMap, step as unknown as tf.NamedAttrMap) as [tf.Tensor, tf.Tensor, tf.Tensor];
}
