import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError } from '@oreal-ts/core';
import { decodeSafetensors, encodeSafetensors, MAX_HEADER_BYTES } from './safetensors';
import { readCheckpointTensors, writeCheckpointTensors, WEIGHTS_INDEX_FILE } from './checkpoint-files';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tensor-model-safetensors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A file with the given header object and `dataBytes` bytes of data. */
function fileWith(header: unknown, dataBytes: number, headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

function refused(bytes: Uint8Array, pattern: RegExp): void {
  let caught: unknown;
  try {
    decodeSafetensors(bytes, 'hostile.safetensors');
  } catch (error) {
    caught = error;
  }
  expect(CheckpointError.is(caught)).toBe(true);
  expect((caught as Error).message).toMatch(pattern);
}

describe('safetensors', () => {
  it('round-trips F32 tensors and metadata; the header is 8-byte aligned', () => {
    const tensors = new Map([
      ['b', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      ['a', { shape: [1], data: Float32Array.from([-0.5]) }],
      ['empty', { shape: [0, 4], data: new Float32Array(0) }],
    ]);
    const bytes = encodeSafetensors(tensors, { format: 'pt' });
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
    const { tensors: decoded, metadata } = decodeSafetensors(bytes, 'x');
    expect(metadata).toEqual({ format: 'pt' });
    for (const [name, tensor] of tensors) {
      expect(decoded.get(name)?.shape).toEqual(tensor.shape);
      expect(Array.from(decoded.get(name)?.data ?? [])).toEqual(Array.from(tensor.data));
    }
  });

  it('reads F16 and BF16 (converted to float32)', () => {
    // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 0.5 = 0x3800, 65504 = 0x7bff; BF16: 1.0 = 0x3f80, -3.0 = 0xc040.
    const f16 = Uint16Array.from([0x3c00, 0xc000, 0x3800, 0x7bff]);
    const bf16 = Uint16Array.from([0x3f80, 0xc040]);
    const header = { h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] }, g: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] } };
    const bytes = fileWith(header, 12);
    const start = bytes.length - 12;
    bytes.set(new Uint8Array(f16.buffer), start);
    bytes.set(new Uint8Array(bf16.buffer), start + 8);
    const { tensors } = decodeSafetensors(bytes, 'x');
    expect(Array.from(tensors.get('h')?.data ?? [])).toEqual([1, -2, 0.5, 65504]);
    expect(Array.from(tensors.get('g')?.data ?? [])).toEqual([1, -3]);
  });

  it('refuses hostile headers without allocating', () => {
    refused(new Uint8Array(4), /shorter than the 8-byte/);
    refused(fileWith({}, 0, 2n ** 60n), /exceeds the 100000000-byte limit/);
    refused(fileWith({}, 0, BigInt(MAX_HEADER_BYTES)), /runs past the end/);
    refused(fileWith('{"a": ', 0), /not valid UTF-8 JSON/);
    refused(fileWith('[1, 2]', 0), /must be a JSON object/);
    refused(fileWith({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 4), /outside the 4-byte data section/);
    refused(fileWith({ a: { dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 4] } }, 4), /needs .* bytes but data_offsets span 4/);
    refused(fileWith({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12), /overlap/);
    refused(fileWith({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /non-negative integers/);
    refused(fileWith({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4), /outside/);
    refused(fileWith({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, 8), /dtype "I64" is not supported/);
    refused(fileWith({ a: 'nope' }, 0), /not supported|not an object/);
    refused(fileWith({ __metadata__: { n: 1 } }, 0), /__metadata__/);
  });
});

describe('checkpoint files', () => {
  const tensors = new Map([
    ['model.x.weight', { shape: [64], data: Float32Array.from({ length: 64 }, (_, i) => i) }],
    ['model.y.weight', { shape: [64], data: Float32Array.from({ length: 64 }, (_, i) => -i) }],
    ['model.z.weight', { shape: [3], data: Float32Array.from([7, 8, 9]) }],
  ]);

  it('writes shards with an index when over maxShardBytes, and reads them back; a single file replaces the shards', async () => {
    const where = join(dir, 'shards');
    await writeCheckpointTensors(where, tensors, { maxShardBytes: 300 });
    const files = (await readdir(where)).sort();
    // 256 + 256 bytes exceed 300, 256 + 12 do not: x | y, z
    expect(files).toEqual([WEIGHTS_INDEX_FILE, 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'].sort());
    const index = JSON.parse(await readFile(join(where, WEIGHTS_INDEX_FILE), 'utf8'));
    expect(index.weight_map).toEqual({
      'model.x.weight': 'model-00001-of-00002.safetensors',
      'model.y.weight': 'model-00002-of-00002.safetensors',
      'model.z.weight': 'model-00002-of-00002.safetensors',
    });
    const back = await readCheckpointTensors(where);
    expect(Array.from(back.get('model.y.weight')?.data ?? [])).toEqual(Array.from(tensors.get('model.y.weight')?.data ?? []));
    await writeCheckpointTensors(where, tensors);
    expect(await readdir(where)).toEqual(['model.safetensors']);
    expect((await readCheckpointTensors(where)).size).toBe(3);
  });

  it('refuses an index pointing outside the directory or at missing tensors', async () => {
    const where = join(dir, 'bad-index');
    await writeCheckpointTensors(where, tensors, { maxShardBytes: 300 });
    await writeFile(join(where, WEIGHTS_INDEX_FILE), JSON.stringify({ weight_map: { 'model.x.weight': '../../etc/passwd' } }));
    await expect(readCheckpointTensors(where)).rejects.toThrow(/plain .safetensors file name/);
    await writeFile(join(where, WEIGHTS_INDEX_FILE), JSON.stringify({ weight_map: { 'model.x.weight': 'model-00001-of-00002.safetensors', 'model.q.weight': 'model-00001-of-00002.safetensors' } }));
    await expect(readCheckpointTensors(where)).rejects.toThrow(/model.q.weight/);
    await expect(readCheckpointTensors(join(dir, 'none'))).rejects.toThrow(/neither model.safetensors nor/);
  });
});
