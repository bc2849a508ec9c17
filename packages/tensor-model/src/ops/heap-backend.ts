/**
 * What this package's wasm kernels need of tfjs-wasm's backend: its memory, where a tensor lives
 * in it, and new outputs; and instantiating a kernel module on that memory.
 */
import * as tf from '@tensorflow/tfjs';
import { compileKernel, wasmApi, type WasmMemory } from '../kernels/wasm-api';

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

/** Whether `memory` is shared (the multi-threaded build's). */
export function isSharedMemory(memory: WasmMemory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/** Byte offset of a tensor's data in the backend's memory; `what` names the caller in the error. */
export function memoryOffset(backend: HeapBackend, info: tf.TensorInfo, what: string): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (!data) throw new Error(`${what}: a tensor is not on the wasm backend`);
  return data.memoryOffset;
}

/**
 * A kernel module (its plain or shared-memory build, as `memory` is) instantiated on `memory`;
 * null where WebAssembly SIMD is not available.
 */
export function instantiateOnMemory<T>(memory: WasmMemory, plainBase64: string, sharedBase64: string): T | null {
  const module = compileKernel(isSharedMemory(memory) ? sharedBase64 : plainBase64);
  if (!module || !wasmApi) return null;
  return new wasmApi.Instance(module, { env: { memory } }).exports as T;
}

/**
 * Register `kernelName` for the wasm backend with `kernelFunc`, replacing a registration there may
 * be (tfjs's own, or this package's from an earlier backend instance).
 */
export function registerWasmKernel(kernelName: string, kernelFunc: tf.KernelFunc, base?: tf.KernelConfig): void {
  if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...base, kernelName, backendName: 'wasm', kernelFunc });
}
