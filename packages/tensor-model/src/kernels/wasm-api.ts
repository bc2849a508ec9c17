/**
 * The part of the WebAssembly JS API the hand-written kernels use, typed locally (the DOM lib is
 * not part of this package's types), and compiling a kernel from its embedded base64 binary.
 */

/** A WebAssembly memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The global `WebAssembly` object, as far as the kernels use it. */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { readonly exports: object };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}

/** `globalThis.WebAssembly`, or undefined where there is none. */
export const wasmApi: WasmApi | undefined = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Compile a kernel from its base64 binary; null where WebAssembly (with SIMD and bulk memory) cannot run it. */
export function compileKernel(base64: string): object | null {
  try {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    return wasmApi?.validate(bytes) ? new wasmApi.Module(bytes) : null;
  } catch {
    return null;
  }
}

/** Whether `memory` is shared (the multi-threaded wasm backend's). */
export function isSharedMemory(memory: WasmMemory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/**
 * A kernel (its plain or shared-memory build, as `memory` is) instantiated on `memory`; null where
 * WebAssembly SIMD (or, for a shared memory, threads) is not available.
 */
export function instantiateOnMemory<T>(memory: WasmMemory, plainBase64: string, sharedBase64: string): T | null {
  const module = compileKernel(isSharedMemory(memory) ? sharedBase64 : plainBase64);
  if (!module || !wasmApi) return null;
  try {
    return new wasmApi.Instance(module, { env: { memory } }).exports as T;
  } catch {
    return null;
  }
}
