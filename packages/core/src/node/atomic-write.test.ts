import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-write';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'oreal-atomic-'));
  dirs.push(dir);
  return dir;
}

describe('writeFileAtomic', () => {
  it('writes byte chunks in order, the same bytes as their concatenation, and leaves no temp file', async () => {
    const dir = await tempDir();
    const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(70_000).fill(7), new Uint8Array([9])];
    await writeFileAtomic(join(dir, 'chunks.bin'), chunks);
    await writeFileAtomic(join(dir, 'whole.bin'), Buffer.concat(chunks));
    const [fromChunks, whole] = [await readFile(join(dir, 'chunks.bin')), await readFile(join(dir, 'whole.bin'))];
    expect(fromChunks.length).toBe(70_004);
    expect(fromChunks.equals(whole)).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['chunks.bin', 'whole.bin']);
  });

  it('replaces an existing file and accepts a chunk that is a view into a larger buffer', async () => {
    const dir = await tempDir();
    const file = join(dir, 'f.bin');
    await writeFileAtomic(file, 'old content');
    const backing = new Float32Array([1.5, -2, 3.25, 4]);
    await writeFileAtomic(file, [new Uint8Array(backing.buffer, 4, 8)]);
    const bytes = await readFile(file);
    expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, 2))).toEqual([-2, 3.25]);
  });
});
