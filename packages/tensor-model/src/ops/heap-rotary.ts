/**
 * Rotary position embedding as one wasm-backend kernel with its gradient (`kernels/rotary.wat`),
 * in the backend's own memory: the values of `transformer.ts`'s tensor formulation (a product by
 * the constant rotate-half matrix, two multiplies and an add, and their gradients: ~10 ops a
 * tensor), in one pass forward and one backward.
 */
import * as tf from '@tensorflow/tfjs';
import { ROTARY_SHARED_WASM_BASE64, ROTARY_WASM_BASE64 } from '../kernels/rotary.wasm';
import { instantiateOnMemory, type WasmMemory } from '../kernels/wasm-api';
import { memoryOffset, registerBackendKernel, type HeapBackend } from './heap-backend';

/** Kernel names registered for the wasm backend. */
export const ROTARY_KERNEL = 'OrealRotary';
export const ROTARY_GRAD_KERNEL = 'OrealRotaryGrad';

type RotaryFunction = (x: number, cos: number, sin: number, y: number, rows: number, heads: number, dim: number) => void;

const offset = (backend: HeapBackend, info: tf.TensorInfo): number => memoryOffset(backend, info, 'heap rotary');

/** Register both kernels for the wasm backend `owner` with memory `memory`; false without wasm SIMD. */
export function registerHeapRotary(owner: HeapBackend, memory: WasmMemory): boolean {
  const kernels = instantiateOnMemory<{ forward: RotaryFunction; backward: RotaryFunction }>(memory, ROTARY_WASM_BASE64, ROTARY_SHARED_WASM_BASE64);
  if (!kernels) return false;
  const register = (kernelName: string, run: RotaryFunction) =>
    registerBackendKernel(kernelName, owner, 'heap rotary', ({ inputs }) => {
      const { x, cos, sin } = inputs as Record<string, tf.TensorInfo>;
      const input = x as tf.TensorInfo;
      const [batch, time, heads, dim] = input.shape as [number, number, number, number];
      const out = owner.makeOutput([...input.shape], 'float32');
      run(offset(owner, input), offset(owner, cos as tf.TensorInfo), offset(owner, sin as tf.TensorInfo), offset(owner, out), batch * time, heads, dim);
      return out;
    });
  register(ROTARY_KERNEL, kernels.forward);
  register(ROTARY_GRAD_KERNEL, kernels.backward);
  return true;
}

/** Whether `x` [B, T, N, D] with cos, sin [B, T, 1, D] can go through the kernel here (wasm, registered, D a multiple of 8). */
export function heapRotaryApplies(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): boolean {
  const [batch, time, , dim] = x.shape;
  const tableShape = [batch, time, 1, dim];
  return (
    dim % 8 === 0 &&
    tf.getBackend() === 'wasm' &&
    tf.getKernel(ROTARY_KERNEL, 'wasm') !== undefined &&
    x.dtype === 'float32' &&
    cos.shape.every((s, i) => s === tableShape[i]) &&
    sin.shape.every((s, i) => s === tableShape[i])
  );
}

/** x·cos + rotate_half(x)·sin with its gradient for x (cos and sin are constants). */
export function heapRotary(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  const rotate = tf.customGrad((input, save) => {
    (save as tf.GradSaveFunc)([cos, sin]);
    return {
      value: tf.engine().runKernel(ROTARY_KERNEL, { x: input as tf.Tensor, cos, sin } as tf.NamedTensorMap) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        tf.engine().runKernel(ROTARY_GRAD_KERNEL, { x: dy, cos: saved[0] as tf.Tensor, sin: saved[1] as tf.Tensor } as tf.NamedTensorMap) as tf.Tensor,
      ],
    };
  });
  return rotate(x) as tf.Tensor4D;
}
