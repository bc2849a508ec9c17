/**
 * RMSNorm as one wasm-backend kernel with its gradient (`kernels/rms-norm.wat`), in the backend's
 * own memory: the values of `transformer.ts`'s tensor formulation (square, mean, add, rsqrt and
 * two multiplies forward; ~14 ops and a transpose for the gradient), in one pass forward and one
 * backward (plus tfjs's own Pow on one value a row, for the same bits).
 */
import * as tf from '@tensorflow/tfjs';
import { RMS_NORM_SHARED_WASM_BASE64, RMS_NORM_WASM_BASE64 } from '../kernels/rms-norm.wasm';
import { instantiateOnMemory, type WasmMemory } from '../kernels/wasm-api';
import { memoryOffset, registerBackendKernel, type HeapBackend } from './heap-backend';

/** Kernel names registered for the wasm backend. */
export const RMS_NORM_KERNEL = 'OrealRmsNorm';
export const RMS_NORM_GRAD_KERNEL = 'OrealRmsNormGrad';

interface RmsNormKernels {
  forward(x: number, w: number, y: number, a: number, rows: number, cols: number, eps: number): void;
  backward(dy: number, x: number, w: number, a: number, p: number, dx1: number, dx2: number, dw: number, rows: number, cols: number): void;
}

/** x [..., C] as rows × C. */
function rowsAndCols(shape: readonly number[]): { rows: number; cols: number } {
  const cols = shape[shape.length - 1] as number;
  return { rows: tf.util.sizeFromShape([...shape]) / cols, cols };
}

/** Register both kernels for the wasm backend `owner` with memory `memory`; false without wasm SIMD. */
export function registerHeapRmsNorm(owner: HeapBackend, memory: WasmMemory): boolean {
  const kernels = instantiateOnMemory<RmsNormKernels>(memory, RMS_NORM_WASM_BASE64, RMS_NORM_SHARED_WASM_BASE64);
  if (!kernels) return false;
  const at = (info: tf.TensorInfo | undefined): number => memoryOffset(owner, info as tf.TensorInfo, 'heap RMSNorm');
  registerBackendKernel(RMS_NORM_KERNEL, owner, 'heap RMSNorm', ({ inputs, attrs }) => {
    const { x, weight } = inputs as Record<string, tf.TensorInfo>;
    const shape = (x as tf.TensorInfo).shape;
    const { rows, cols } = rowsAndCols(shape);
    const y = owner.makeOutput([...shape], 'float32');
    const a = owner.makeOutput([...shape.slice(0, -1), 1], 'float32');
    kernels.forward(at(x), at(weight), at(y), at(a), rows, cols, (attrs as unknown as { eps: number }).eps);
    return [y, a];
  });
  registerBackendKernel(RMS_NORM_GRAD_KERNEL, owner, 'heap RMSNorm', ({ inputs }) => {
    const { dy, x, weight, a, p } = inputs as Record<string, tf.TensorInfo>;
    const shape = (x as tf.TensorInfo).shape;
    const { rows, cols } = rowsAndCols(shape);
    const dx1 = owner.makeOutput([...shape], 'float32');
    const dx2 = owner.makeOutput([...shape], 'float32');
    const dw = owner.makeOutput([cols], 'float32');
    kernels.backward(at(dy), at(x), at(weight), at(a), at(p), at(dx1), at(dx2), at(dw), rows, cols);
    return [dx1, dx2, dw];
  });
  return true;
}

/** Whether `x` [..., C] with `weight` [C] can go through the kernel here (wasm, registered, float32, C a multiple of 4). */
export function heapRmsNormApplies(x: tf.Tensor, weight: tf.Tensor): boolean {
  const cols = x.shape[x.shape.length - 1] ?? 0;
  return (
    cols > 0 &&
    cols % 4 === 0 &&
    x.size > 0 &&
    weight.rank === 1 &&
    weight.shape[0] === cols &&
    x.dtype === 'float32' &&
    weight.dtype === 'float32' &&
    tf.getBackend() === 'wasm' &&
    tf.getKernel(RMS_NORM_KERNEL, 'wasm') !== undefined
  );
}

/**
 * x / √(mean(x²) + ε) ⊙ w over the last axis, with the gradients of x and w.
 *
 * x goes in twice: the gradient of x has two parts (through x·r and through mean(x²)), and
 * TensorFlow.js adds each part to x's gradient as it reaches it, in the tape's order. Returning
 * them as the gradients of two inputs that are both x keeps that order, so a gradient from x's
 * other uses (the residual stream) is summed as ((other + dx₁) + dx₂), as with the tensor ops.
 */
export function heapRmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  const norm = tf.customGrad((input, _again, w, save) => {
    const [y, a] = tf.engine().runKernel(RMS_NORM_KERNEL, { x: input as tf.Tensor, weight: w as tf.Tensor } as tf.NamedTensorMap, { eps } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    (save as tf.GradSaveFunc)([input as tf.Tensor, w as tf.Tensor, a as tf.Tensor]);
    return {
      value: y as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw, sa] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const p = tf.pow(sa, 1.5); // tfjs's Pow: the same a^1.5 as the tensor ops' Rsqrt gradient
        const grads = tf.engine().runKernel(RMS_NORM_GRAD_KERNEL, { dy, x: sx, weight: sw, a: sa, p } as tf.NamedTensorMap) as tf.Tensor[];
        p.dispose();
        return grads;
      },
    };
  });
  return norm(x, x, weight);
}
