/**
 * The SwiGLU gate silu(g)·u as one wasm-backend kernel with its gradient (`kernels/swiglu.wat`),
 * in the backend's own memory: the values of `transformer.ts`'s tensor formulation (two
 * multiplies after tfjs's sigmoid; eight ops for the gradient), in one pass each way.
 */
import * as tf from '@tensorflow/tfjs';
import { SWIGLU_SHARED_WASM_BASE64, SWIGLU_WASM_BASE64 } from '../kernels/swiglu.wasm';
import { instantiateOnMemory, type WasmMemory } from '../kernels/wasm-api';
import { memoryOffset, registerBackendKernel, type HeapBackend } from './heap-backend';

/** Kernel names registered for the wasm backend. */
export const SWIGLU_KERNEL = 'OrealSwiGlu';
export const SWIGLU_GRAD_KERNEL = 'OrealSwiGluGrad';

interface SwiGluKernels {
  forward(g: number, s: number, u: number, y: number, count: number): void;
  backward(dy: number, g: number, s: number, u: number, dg: number, du: number, count: number): void;
}

/** Register both kernels for the wasm backend `owner` with memory `memory`; false without wasm SIMD. */
export function registerHeapSwiGlu(owner: HeapBackend, memory: WasmMemory): boolean {
  const kernels = instantiateOnMemory<SwiGluKernels>(memory, SWIGLU_WASM_BASE64, SWIGLU_SHARED_WASM_BASE64);
  if (!kernels) return false;
  const at = (info: tf.TensorInfo | undefined): number => memoryOffset(owner, info as tf.TensorInfo, 'heap SwiGLU');
  registerBackendKernel(SWIGLU_KERNEL, owner, 'heap SwiGLU', ({ inputs }) => {
    const { gate, sigmoid, up } = inputs as Record<string, tf.TensorInfo>;
    const shape = (gate as tf.TensorInfo).shape;
    const y = owner.makeOutput([...shape], 'float32');
    kernels.forward(at(gate), at(sigmoid), at(up), at(y), tf.util.sizeFromShape(shape));
    return y;
  });
  registerBackendKernel(SWIGLU_GRAD_KERNEL, owner, 'heap SwiGLU', ({ inputs }) => {
    const { dy, gate, sigmoid, up } = inputs as Record<string, tf.TensorInfo>;
    const shape = (gate as tf.TensorInfo).shape;
    const dg = owner.makeOutput([...shape], 'float32');
    const du = owner.makeOutput([...shape], 'float32');
    kernels.backward(at(dy), at(gate), at(sigmoid), at(up), at(dg), at(du), tf.util.sizeFromShape(shape));
    return [dg, du];
  });
  return true;
}

/** Whether gate and up (same shape, float32, a multiple of 4 values) can go through the kernel here. */
export function heapSwiGluApplies(gate: tf.Tensor, up: tf.Tensor): boolean {
  return (
    gate.size > 0 &&
    gate.size % 4 === 0 &&
    gate.dtype === 'float32' &&
    up.dtype === 'float32' &&
    tf.util.arraysEqual(gate.shape, up.shape) &&
    tf.getBackend() === 'wasm' &&
    tf.getKernel(SWIGLU_KERNEL, 'wasm') !== undefined
  );
}

/** silu(gate)·up = (gate·sigmoid(gate))·up with the gradients of gate and up. */
export function heapSwiGlu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  const swiGlu = tf.customGrad((g, u, save) => {
    const sigmoid = tf.sigmoid(g as tf.Tensor); // tfjs's Sigmoid: the same σ as the tensor ops
    (save as tf.GradSaveFunc)([g as tf.Tensor, sigmoid, u as tf.Tensor]);
    return {
      value: tf.engine().runKernel(SWIGLU_KERNEL, { gate: g as tf.Tensor, sigmoid, up: u as tf.Tensor } as tf.NamedTensorMap) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sg, ss, su] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        return tf.engine().runKernel(SWIGLU_GRAD_KERNEL, { dy, gate: sg, sigmoid: ss, up: su } as tf.NamedTensorMap) as tf.Tensor[];
      },
    };
  });
  return swiGlu(gate, up);
}
