/**
 * What this package's wasm kernels need of tfjs-wasm's backend: its memory, where a tensor lives
 * in it, and new outputs; and instantiating a kernel module on that memory.
 */
import * as tf from '@tensorflow/tfjs';
import type { WasmMemory } from '../kernels/wasm-api';

/** The part of tfjs-wasm's backend the kernels use (not part of its public types). */
export interface HeapBackend {
  readonly wasm: {
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    /** The threaded build's shared memory. */
    readonly wasmMemory?: WasmMemory;
    /** The single-thread build's exports (its memory among them). */
    readonly asm?: { readonly memory?: WasmMemory };
  };
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  incRef(dataId: object): void;
  disposeData(dataId: object): boolean;
}

/** The backend's WebAssembly memory: shared in the multi-threaded build, the module's own otherwise. */
export function backendMemory(backend: HeapBackend): WasmMemory | undefined {
  return backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
}

/** Byte offset of a tensor's data in the backend's memory; `what` names the caller in the error. */
export function memoryOffset(backend: HeapBackend, info: tf.TensorInfo, what: string): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (!data) throw new Error(`${what}: a tensor is not on the wasm backend`);
  return data.memoryOffset;
}

/**
 * Register `kernelName` for the wasm backend with `kernelFunc`, replacing a registration there may
 * be (tfjs's own, or this package's from an earlier backend instance).
 */
export function registerWasmKernel(kernelName: string, kernelFunc: tf.KernelFunc, base?: tf.KernelConfig): void {
  if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...base, kernelName, backendName: 'wasm', kernelFunc });
}

/**
 * Register a kernel of this package's own (no tfjs kernel to fall back to) that runs in `owner`'s
 * memory: called on another wasm backend instance (a backend started again without `initBackend`
 * re-registering), it throws, naming `what`.
 */
export function registerBackendKernel(
  kernelName: string,
  owner: HeapBackend,
  what: string,
  kernelFunc: (args: Parameters<tf.KernelFunc>[0]) => ReturnType<tf.KernelFunc>,
): void {
  registerWasmKernel(kernelName, (args) => {
    if ((args.backend as unknown) !== owner) throw new Error(`${what}: registered for another wasm backend instance`);
    return kernelFunc(args);
  });
}
