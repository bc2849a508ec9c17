/**
 * Reading and writing a Hugging Face checkpoint directory's weights: `model.safetensors`, or shards
 * `model-0000i-of-0000n.safetensors` with `model.safetensors.index.json` (`weight_map`: tensor →
 * shard file). Every file is written atomically (temp file + rename). Loading prefers
 * `model.safetensors` when both exist, as `transformers` does.
 */
import { open, readdir, readFile, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CheckpointError } from '@oreal-ts/core';
import { writeFileAtomic, writeJsonAtomic } from '@oreal-ts/core/node';
import { safetensorsChunks, headerLengthOf, type WriteDtype, parseHeaderJson, toFloat32, type HeaderEntry } from './safetensors';
import type { HostTensor } from '../training/parameter-trainer';

/** Single-file weights name. */
export const WEIGHTS_FILE = 'model.safetensors';
/** Shard index name. */
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';

const IndexSchema = z.object({
  metadata: z.record(z.string(), z.unknown()).optional(),
  weight_map: z.record(z.string(), z.string().regex(/^[\w.-]+\.safetensors$/, 'must be a plain .safetensors file name in the same directory')),
});

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** An open safetensors file: its validated header, and tensors read one at a time by offset. */
export interface SafetensorsReader {
  readonly file: string;
  /** Tensors in file order (validated: dtype, shape, offsets in range, no overlap). */
  readonly entries: readonly HeaderEntry[];
  readonly metadata: Record<string, string>;
  /** Read one tensor's bytes (one `FileHandle.read` into a buffer of that tensor's size) as float32. */
  read(name: string): Promise<HostTensor>;
  close(): Promise<void>;
}

async function readExactly(handle: FileHandle, target: Uint8Array, position: number, file: string): Promise<void> {
  let done = 0;
  while (done < target.length) {
    // One read returns at most ~2 GiB; loop until the tensor is complete.
    const chunk = Math.min(target.length - done, 1 << 30);
    const { bytesRead } = await handle.read(target, done, chunk, position + done);
    if (bytesRead === 0) throw new CheckpointError(file, `unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}

/**
 * Open a safetensors file for streamed reading: only the header is read now; tensors are read by
 * offset on demand, so files over 2 GiB (which `readFile` refuses) load, and peak memory is one
 * tensor's bytes beyond what the caller keeps.
 */
export async function openSafetensorsFile(file: string): Promise<SafetensorsReader> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new CheckpointError(file, `cannot read: ${(error as Error).message}`, { cause: error });
  }
  try {
    const size = (await handle.stat()).size;
    const prefix = new Uint8Array(8);
    if (size >= 8) await readExactly(handle, prefix, 0, file);
    const length = headerLengthOf(prefix, size, file);
    const json = new Uint8Array(length);
    await readExactly(handle, json, 8, file);
    const { entries, dataStart, metadata } = parseHeaderJson(json, size, file);
    const byName = new Map(entries.map((entry) => [entry.name, entry]));
    return {
      file,
      entries: [...entries].sort((a, b) => a.begin - b.begin),
      metadata,
      async read(name: string): Promise<HostTensor> {
        const entry = byName.get(name);
        if (!entry) throw new CheckpointError(file, `no tensor '${name}' in this file`);
        const raw = new Uint8Array(entry.end - entry.begin);
        await readExactly(handle, raw, dataStart + entry.begin, file);
        return { shape: [...entry.shape], data: toFloat32(raw, entry.dtype) };
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Read one safetensors file as float32 host tensors, tensor by tensor (CheckpointError on any problem). */
export async function readSafetensorsFile(file: string): Promise<Map<string, HostTensor>> {
  const reader = await openSafetensorsFile(file);
  try {
    const tensors = new Map<string, HostTensor>();
    for (const entry of reader.entries) tensors.set(entry.name, await reader.read(entry.name));
    return tensors;
  } finally {
    await reader.close();
  }
}

/**
 * The weights of a checkpoint directory (single file or sharded), opened for streamed reading:
 * every header is read and checked now (shard index, tensor → shard mapping), tensor data only on
 * `read(name)`, so a caller that converts and drops each tensor holds one tensor at a time.
 */
export interface CheckpointTensorReader {
  /** Directory read. */
  readonly dir: string;
  /** HF tensor name → shape, over all shards. */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  /** Read one tensor (float32). */
  read(name: string): Promise<HostTensor>;
  /** Close every file. Safe to call twice. */
  close(): Promise<void>;
}

/** Open the weights of a checkpoint directory for streamed reading (CheckpointError on any problem). */
export async function openCheckpointTensors(dir: string): Promise<CheckpointTensorReader> {
  const single = join(dir, WEIGHTS_FILE);
  const readers: SafetensorsReader[] = [];
  const byTensor = new Map<string, SafetensorsReader>();
  const shapes = new Map<string, readonly number[]>();
  const closeAll = async () => {
    const open = readers.splice(0);
    await Promise.all(open.map((reader) => reader.close()));
  };
  try {
    if (await exists(single)) {
      const reader = await openSafetensorsFile(single);
      readers.push(reader);
      for (const entry of reader.entries) {
        byTensor.set(entry.name, reader);
        shapes.set(entry.name, entry.shape);
      }
    } else {
      const indexFile = join(dir, WEIGHTS_INDEX_FILE);
      if (!(await exists(indexFile))) {
        throw new CheckpointError(dir, `neither ${WEIGHTS_FILE} nor ${WEIGHTS_INDEX_FILE} found; is this a Hugging Face model directory?`);
      }
      let index: z.output<typeof IndexSchema>;
      try {
        const parsed = IndexSchema.safeParse(JSON.parse(await readFile(indexFile, 'utf8')));
        if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
        index = parsed.data;
      } catch (error) {
        throw new CheckpointError(indexFile, `invalid shard index: ${(error as Error).message}`, { cause: error });
      }
      const shards = [...new Set(Object.values(index.weight_map))].sort();
      for (const shard of shards) {
        const reader = await openSafetensorsFile(join(dir, shard));
        readers.push(reader);
        for (const entry of reader.entries) {
          if (index.weight_map[entry.name] !== shard) {
            throw new CheckpointError(join(dir, shard), `tensor '${entry.name}' is not mapped to this shard by ${WEIGHTS_INDEX_FILE}`);
          }
          byTensor.set(entry.name, reader);
          shapes.set(entry.name, entry.shape);
        }
      }
      const missing = Object.keys(index.weight_map).filter((name) => !byTensor.has(name));
      if (missing.length > 0) throw new CheckpointError(indexFile, `tensors listed in the index but absent from their shards: ${missing.join(', ')}`);
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  return {
    dir,
    shapes,
    read(name: string): Promise<HostTensor> {
      const reader = byTensor.get(name);
      if (!reader) return Promise.reject(new CheckpointError(dir, `no tensor '${name}' in this checkpoint`));
      return reader.read(name);
    },
    close: closeAll,
  };
}

/** Read all the weights of a checkpoint directory (single file or sharded) into host memory. */
export async function readCheckpointTensors(dir: string): Promise<Map<string, HostTensor>> {
  const reader = await openCheckpointTensors(dir);
  try {
    const tensors = new Map<string, HostTensor>();
    for (const name of reader.shapes.keys()) tensors.set(name, await reader.read(name));
    return tensors;
  } finally {
    await reader.close();
  }
}

/** Options of `writeCheckpointTensors`. */
export interface WriteWeightsOptions {
  /** Split into shards of at most this many bytes of tensor data (a larger single tensor gets its own shard). Default 2 GiB. */
  readonly maxShardBytes?: number;
  /** `__metadata__` of each file (HF writes `{format: 'pt'}`). */
  readonly metadata?: Record<string, string>;
  /** Dtype of the written tensors (default F32); the shard limit counts bytes in this dtype. */
  readonly dtype?: WriteDtype;
}

/** Write weights (F32 or BF16) into `dir`, sharded when larger than `maxShardBytes`; removes stale weight files of the other layout. */
export async function writeCheckpointTensors(dir: string, tensors: ReadonlyMap<string, HostTensor>, options: WriteWeightsOptions = {}): Promise<void> {
  const maxShardBytes = options.maxShardBytes ?? 2 * 1024 ** 3;
  const metadata = options.metadata ?? { format: 'pt' };
  const dtype = options.dtype ?? 'F32';
  const elementBytes = dtype === 'F32' ? 4 : 2;
  const shards: Map<string, HostTensor>[] = [];
  let current = new Map<string, HostTensor>();
  let currentBytes = 0;
  for (const name of [...tensors.keys()].sort()) {
    const tensor = tensors.get(name) as HostTensor;
    const bytes = tensor.data.length * elementBytes;
    if (current.size > 0 && currentBytes + bytes > maxShardBytes) {
      shards.push(current);
      current = new Map();
      currentBytes = 0;
    }
    current.set(name, tensor);
    currentBytes += bytes;
  }
  shards.push(current);
  if (shards.length === 1) {
    await writeFileAtomic(join(dir, WEIGHTS_FILE), safetensorsChunks(shards[0] as Map<string, HostTensor>, metadata, dtype));
    await rm(join(dir, WEIGHTS_INDEX_FILE), { force: true });
    await removeStaleShards(dir, new Set());
    return;
  }
  const count = shards.length;
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  for (let i = 0; i < count; i++) {
    const file = `model-${String(i + 1).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.safetensors`;
    const shard = shards[i] as Map<string, HostTensor>;
    for (const [name, tensor] of shard) {
      weightMap[name] = file;
      totalSize += tensor.data.length * elementBytes;
    }
    await writeFileAtomic(join(dir, file), safetensorsChunks(shard, metadata, dtype));
  }
  await writeJsonAtomic(join(dir, WEIGHTS_INDEX_FILE), { metadata: { total_size: totalSize }, weight_map: weightMap });
  await rm(join(dir, WEIGHTS_FILE), { force: true });
  await removeStaleShards(dir, new Set(Object.values(weightMap)));
}

/** Delete `model-NNNNN-of-NNNNN.safetensors` files of an earlier save that the new layout does not use. */
async function removeStaleShards(dir: string, keep: ReadonlySet<string>): Promise<void> {
  for (const file of await readdir(dir)) {
    if (/^model-\d{5}-of-\d{5}\.safetensors$/.test(file) && !keep.has(file)) await rm(join(dir, file), { force: true });
  }
}
