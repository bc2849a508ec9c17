import { createHash } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HttpRequestError } from '@oreal-ts/core';
import { temporaryDir } from '../../test/helpers';
import { defaultCacheDir, ensureMath500, MATH500_URLS } from './download';

const bytes = new TextEncoder().encode('{"problem":"p","answer":"1","subject":"Algebra","level":1,"unique_id":"x"}\n');
const sha = createHash('sha256').update(bytes).digest('hex');

describe('ensureMath500', () => {
  it('explains what to do when offline (fetch fails)', async () => {
    const cacheDir = await temporaryDir();
    const offline = (async () => {
      throw new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND raw.githubusercontent.com') });
    }) as typeof fetch;
    const error = await ensureMath500({ cacheDir, fetch: offline }).catch((e: unknown) => e);
    expect(HttpRequestError.is(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toMatch(/could not download MATH-500 \(offline or blocked\?\)/);
    expect(message).toContain('--data');
    expect(message).toContain('ENOTFOUND');
    expect(message).toContain(join(cacheDir, 'test.jsonl'));
    for (const url of MATH500_URLS) expect(message).toContain(url);
  });

  it('downloads, verifies the SHA-256 and caches; later calls use the cache without the network', async () => {
    const cacheDir = await temporaryDir();
    const calls: string[] = [];
    const online = (async (url: string | URL | Request) => {
      calls.push(String(url));
      return calls.length === 1 ? new Response('not here', { status: 404 }) : new Response(bytes);
    }) as typeof fetch;
    const file = await ensureMath500({ cacheDir, fetch: online, sha256: sha, urls: ['https://a.example/x', 'https://b.example/x'] });
    expect(file).toBe(join(cacheDir, 'test.jsonl'));
    expect(new Uint8Array(await readFile(file))).toEqual(bytes);
    expect(calls).toEqual(['https://a.example/x', 'https://b.example/x']);
    const never = (async () => {
      throw new Error('must not fetch');
    }) as typeof fetch;
    expect(await ensureMath500({ cacheDir, fetch: never, sha256: sha, urls: ['https://a.example/x'] })).toBe(file);
  });

  it('rejects bytes with the wrong checksum and replaces a corrupt cache', async () => {
    const cacheDir = await temporaryDir();
    await mkdir(cacheDir, { recursive: true });
    await writeFile(join(cacheDir, 'test.jsonl'), 'corrupt');
    const wrong = (async () => new Response('tampered')) as typeof fetch;
    await expect(ensureMath500({ cacheDir, fetch: wrong, sha256: sha, urls: ['https://a.example/x'] })).rejects.toThrow(/does not match/);
    const right = (async () => new Response(bytes)) as typeof fetch;
    const file = await ensureMath500({ cacheDir, fetch: right, sha256: sha, urls: ['https://a.example/x'] });
    expect(await readFile(file, 'utf8')).toBe(new TextDecoder().decode(bytes));
  });

  it('puts the cache under OREAL_TS_CACHE, XDG_CACHE_HOME or ~/.cache', () => {
    expect(defaultCacheDir({ OREAL_TS_CACHE: '/c' })).toBe('/c/math500');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/oreal-ts/math500');
    expect(defaultCacheDir({})).toMatch(/\.cache\/oreal-ts\/math500$/);
  });
});
