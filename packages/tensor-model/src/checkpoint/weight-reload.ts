/**
 * Reading a checkpoint folder's weights for an in-place reload of a live model: everything is read
 * and checked BEFORE any parameter changes, so a failed reload leaves the old weights untouched.
 *
 * Checked, each failure a `CheckpointError` naming the file and tensor: `config.json` present and
 * describing the same dimensions; the weight files (header, offsets, shard index); every tensor
 * name known and of the right shape; nothing missing (unless `allowPartial`); every value finite;
 * and, when `tensorSha256` is given, each tensor's F32 bytes hashing to the listed sha256.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from '@oreal-ts/core';
import { dimensionsOf, parseTransformerConfig, type ModelDimensions } from '../config';
import { openCheckpointTensors } from './checkpoint-files';
import { checkHuggingFaceShapes, placeHuggingFacePart, type HuggingFacePart } from './hf-names';
import type { HostTensor } from '../training/parameter-trainer';

/** Options of `readWeightsForReload` and `reloadWeights`. */
export interface ReloadWeightsOptions {
  /** Accept a subset of the tensors (a delta); the others keep their values. Default false. */
  readonly allowPartial?: boolean;
  /** Expected hex sha256 of each tensor's F32 little-endian bytes (e.g. `version.json`'s `tensors`); checked for every tensor read. */
  readonly tensorSha256?: Readonly<Record<string, string>>;
}

/** Hex sha256 of a float32 array's little-endian bytes (the hash `version.json` lists per tensor). */
export function float32Sha256(data: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).digest('hex');
}

/**
 * Index of the first NaN or ±Infinity in `data`, or -1. A plain loop: `findIndex` with a callback
 * took 0.85 s per 240 MB here (a 1 GB reload spent ~3.5 s in it), the loop ~0.1 s.
 */
export function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) {
    const value = data[i] as number;
    if (value - value !== 0) return i; // NaN - NaN and ∞ - ∞ are NaN
  }
  return -1;
}

/** Read `config.json` of `dir` and refuse it unless it describes exactly `dimensions`. */
async function checkConfig(dir: string, dimensions: ModelDimensions): Promise<void> {
  const file = join(dir, 'config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new CheckpointError(file, `cannot read config.json: ${(error as Error).message}`, { cause: error });
  }
  const other = dimensionsOf(parseTransformerConfig(raw, file));
  const differing = (Object.keys(dimensions) as (keyof ModelDimensions)[]).filter((key) => JSON.stringify(dimensions[key]) !== JSON.stringify(other[key]));
  if (differing.length > 0) {
    throw new CheckpointError(
      file,
      `describes another model than the one loaded: ${differing.map((key) => `${key} ${JSON.stringify(other[key])} ≠ ${JSON.stringify(dimensions[key])}`).join(', ')}`,
    );
  }
}

/**
 * Read and check every HF tensor of `dir` against `parts` (see the module comment). Returns the
 * tensors by HF name; nothing of the live model is touched.
 */
export async function readWeightsForReload(
  dir: string,
  parts: readonly HuggingFacePart[],
  dimensions: ModelDimensions,
  options: ReloadWeightsOptions = {},
): Promise<Map<string, HostTensor>> {
  await checkConfig(dir, dimensions);
  const reader = await openCheckpointTensors(dir);
  try {
    if (!options.allowPartial) checkHuggingFaceShapes(parts, reader.shapes, dimensions, dir);
    else {
      const byName = new Map(parts.map((part) => [part.hfName, part]));
      const problems: string[] = [];
      for (const [name, shape] of reader.shapes) {
        const part = byName.get(name);
        if (!part) problems.push(`unexpected tensor ${name}`);
        else if (shape.length !== part.shape.length || shape.some((n, i) => n !== part.shape[i])) {
          problems.push(`${name} has shape [${shape.join(', ')}], expected [${part.shape.join(', ')}]`);
        }
      }
      if (problems.length > 0) throw new CheckpointError(dir, `weights do not match config.json (${problems.join('; ')})`);
    }
    const wanted = parts.filter((part) => reader.shapes.has(part.hfName));
    const tensors = new Map<string, HostTensor>();
    for (const part of wanted) {
      const tensor = await reader.read(part.hfName);
      const bad = firstNonFinite(tensor.data);
      if (bad >= 0) throw new CheckpointError(dir, `tensor '${part.hfName}' holds a non-finite value (${tensor.data[bad]}) at element ${bad}; the file is corrupt`);
      const expected = options.tensorSha256?.[part.hfName];
      if (options.tensorSha256 && expected === undefined) throw new CheckpointError(dir, `tensor '${part.hfName}' has no sha256 in the given list`);
      if (expected !== undefined && float32Sha256(tensor.data) !== expected) {
        throw new CheckpointError(dir, `tensor '${part.hfName}' does not match its sha256 ${expected.slice(0, 12)}…; the file is corrupt or was changed`);
      }
      tensors.set(part.hfName, tensor);
    }
    return tensors;
  } finally {
    await reader.close();
  }
}

/**
 * Internal parameters to assign from checked HF tensors: for each parameter with at least one
 * tensor present, its new value (parts absent from `tensors` keep `current`'s values). `current`
 * is read only for a parameter that is partly present (a delta touching some of its parts): on
 * wasm it is a device read, which took ~0.7 s per 360 MB when it was done for every parameter.
 */
export function internalUpdates(
  parts: readonly HuggingFacePart[],
  tensors: ReadonlyMap<string, HostTensor>,
  shapeOf: (internalName: string) => readonly number[],
  current: (internalName: string) => HostTensor,
): Map<string, HostTensor> {
  const byInternal = new Map<string, HuggingFacePart[]>();
  for (const part of parts) byInternal.set(part.internal, [...(byInternal.get(part.internal) ?? []), part]);
  const out = new Map<string, HostTensor>();
  for (const [name, own] of byInternal) {
    const present = own.filter((part) => tensors.has(part.hfName));
    if (present.length === 0) continue;
    const only = own[0] as HuggingFacePart;
    if (own.length === 1 && only.kind === 'same') {
      out.set(name, tensors.get(only.hfName) as HostTensor);
      continue;
    }
    const shape = shapeOf(name);
    const target: HostTensor =
      present.length === own.length
        ? { shape: [...shape], data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }
        : { shape: [...shape], data: Float32Array.from(current(name).data) };
    for (const part of present) placeHuggingFacePart(part, tensors.get(part.hfName) as HostTensor, target);
    out.set(name, target);
  }
  return out;
}
