/**
 * Whether a model's weights fit the tensor backend before anything is loaded. tfjs-wasm's heap
 * stops at 4 GiB (wasm32); loading needs the float32 weights there plus, on the host, one tensor
 * being converted (its raw bytes and its float32 copy) and the internal copy of one parameter.
 */
import { CheckpointError } from '@oreal-ts/core';
import type { ModelDimensions } from '../config';
import { parameterSpecs } from '../model/parameters';

/** The wasm backend's heap limit (bytes): 4 GiB. */
export const WASM_HEAP_LIMIT_BYTES = 4 * 1024 ** 3;

/** Bytes a model's float32 weights take in the backend, and the largest single parameter. */
export function weightBytes(d: ModelDimensions): { total: number; largest: number; parameters: number } {
  let total = 0;
  let largest = 0;
  for (const spec of parameterSpecs(d)) {
    const bytes = spec.shape.reduce((a, b) => a * b, 1) * 4;
    total += bytes;
    largest = Math.max(largest, bytes);
  }
  return { total, largest, parameters: total / 4 };
}

/** Heap limit of a tfjs backend name (`undefined` when the backend has none we know of). */
export function backendHeapLimit(backend: string): number | undefined {
  return backend === 'wasm' ? WASM_HEAP_LIMIT_BYTES : undefined;
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/**
 * Refuse (CheckpointError naming the size and the limit) a model whose float32 weights plus one
 * parameter of loading headroom exceed `limitBytes`. Training needs ~4× the weights (gradients,
 * two AdamW moments) on top; that is not checked here.
 */
export function assertWeightsFit(d: ModelDimensions, backend: string, where: string, limitBytes = backendHeapLimit(backend)): void {
  if (limitBytes === undefined) return;
  const { total, largest, parameters } = weightBytes(d);
  const needed = total + largest;
  if (needed > limitBytes) {
    throw new CheckpointError(
      where,
      `the model has ${(parameters / 1e6).toFixed(0)} M parameters: ${gib(total)} of float32 weights + ${gib(largest)} to load them = ${gib(needed)}, ` +
        `more than the ${backend} backend's ${gib(limitBytes)} heap limit; refused before loading (use a smaller model or a remote engine)`,
    );
  }
}
