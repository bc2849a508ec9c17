import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSafetensorsFile } from './checkpoint-files';

// A 2.5 GiB safetensors file written sparse (header + a few tensors' bytes at their offsets, the
// rest a hole made by ftruncate): it costs no real disk, and `readFile` refuses it (> 2 GiB).
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tensor-model-large-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const BIG = 128 * 1024 * 1024; // BF16 elements of one 256 MiB tensor
const COUNT = 10; // 10 × 256 MiB = 2.5 GiB

function bf16(value: number): number {
  return new Uint32Array(Float32Array.of(value).buffer)[0]! >>> 16;
}

describe('streamed safetensors reading', () => {
  it('reads a sparse 2.5 GiB file tensor by tensor, values right at offsets past 2 GiB', async () => {
    const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
    header['head'] = { dtype: 'F32', shape: [4], data_offsets: [0, 16] };
    let offset = 16;
    for (let i = 0; i < COUNT; i++) {
      header[`big.${i}`] = { dtype: 'BF16', shape: [BIG], data_offsets: [offset, offset + BIG * 2] };
      offset += BIG * 2;
    }
    header['tail'] = { dtype: 'F16', shape: [2], data_offsets: [offset, offset + 4] };
    offset += 4;
    const json = new TextEncoder().encode(JSON.stringify(header));
    const dataStart = 8 + json.length;
    const file = join(dir, 'model.safetensors');
    const handle = await open(file, 'w');
    try {
      const prefix = new Uint8Array(8);
      new DataView(prefix.buffer).setBigUint64(0, BigInt(json.length), true);
      await handle.write(prefix, 0, 8, 0);
      await handle.write(json, 0, json.length, 8);
      await handle.truncate(dataStart + offset);
      await handle.write(new Uint8Array(Float32Array.of(1.5, -2, 3.25, 4).buffer), 0, 16, dataStart);
      const last = COUNT - 1;
      const lastStart = dataStart + 16 + last * BIG * 2;
      await handle.write(new Uint8Array(Uint16Array.of(bf16(0.75)).buffer), 0, 2, lastStart);
      await handle.write(new Uint8Array(Uint16Array.of(bf16(-6)).buffer), 0, 2, lastStart + 2 * 12345678);
      await handle.write(new Uint8Array(Uint16Array.of(bf16(2.5)).buffer), 0, 2, lastStart + 2 * (BIG - 1));
      await handle.write(new Uint8Array(Uint16Array.of(0x3c00, 0xc000).buffer), 0, 4, dataStart + offset - 4); // f16 1, -2
    } finally {
      await handle.close();
    }
    expect(dataStart + offset).toBeGreaterThan(2.5 * 1024 ** 3);
    await expect(readFile(file)).rejects.toMatchObject({ code: 'ERR_FS_FILE_TOO_LARGE' });

    const reader = await openSafetensorsFile(file);
    try {
      expect(reader.entries.map((e) => e.name)).toEqual(['head', ...Array.from({ length: COUNT }, (_, i) => `big.${i}`), 'tail']);
      expect(reader.metadata).toEqual({ format: 'pt' });
      expect(Array.from((await reader.read('head')).data)).toEqual([1.5, -2, 3.25, 4]);
      expect(Array.from((await reader.read('tail')).data)).toEqual([1, -2]);
      const big = await reader.read(`big.${COUNT - 1}`);
      expect(big.shape).toEqual([BIG]);
      expect(big.data.length).toBe(BIG);
      expect([big.data[0], big.data[12345678], big.data[BIG - 1], big.data[1], big.data[BIG - 2]]).toEqual([0.75, -6, 2.5, 0, 0]);
      await expect(reader.read('nope')).rejects.toThrow(/no tensor 'nope'/);
    } finally {
      await reader.close();
    }
  }, 60_000);
});
