import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, HttpRequestError } from '@oreal-ts/core';
import { writeFileAtomic } from '@oreal-ts/core/node';

/** SHA-256 of OpenAI's PRM800K `math_splits/test.jsonl` (MATH-500), 446,564 bytes. */
export const MATH500_SHA256 = '35dc41080a3680858b27fa7e0533d2d547825316fc5dafe5d316f4ccc5a06132';

/**
 * Public byte-identical copies of MATH-500, tried in order, each pinned to a commit so the checksum holds.
 * (OpenAI's own repository stores the file in Git LFS; these mirrors store the bytes themselves.)
 */
export const MATH500_URLS: readonly string[] = [
  'https://raw.githubusercontent.com/ZubinGou/math-evaluation-harness/db77bc6bb2a17c90ed2d63e88ebd8c40a82858c5/data/math_oai/test.jsonl',
  'https://raw.githubusercontent.com/hkust-nlp/simpleRL-reason/cf1c7858bfc145a27aa733e75d930d34f0d318a6/examples/simplelr_math_eval/data/math500/test.jsonl',
  'https://media.githubusercontent.com/media/openai/prm800k/7ecc794703b2877f63226f2477a49b34f9b25163/prm800k/math_splits/test.jsonl',
];

/** Default cache folder: `$OREAL_TS_CACHE/math500`, else `$XDG_CACHE_HOME/oreal-ts/math500`, else `~/.cache/oreal-ts/math500`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OREAL_TS_CACHE) return join(env.OREAL_TS_CACHE, 'math500');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'oreal-ts', 'math500');
}

/** Options of `ensureMath500`. */
export interface EnsureMath500Options {
  /** Cache folder (default `defaultCacheDir()`). */
  readonly cacheDir?: string;
  /** `fetch` to use (injected in tests). Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** URLs to try in order (default `MATH500_URLS`). */
  readonly urls?: readonly string[];
  /** Expected SHA-256 (default `MATH500_SHA256`). */
  readonly sha256?: string;
  /** Progress messages (default: none). */
  readonly log?: (message: string) => void;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Path of a verified local copy of MATH-500: the cached `test.jsonl` when its SHA-256 matches, else a
 * fresh download (first URL that answers with the right bytes), written atomically into the cache.
 * Offline, it throws `HttpRequestError` saying so and how to proceed (`--data FILE`).
 */
export async function ensureMath500(options: EnsureMath500Options = {}): Promise<string> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const file = join(cacheDir, 'test.jsonl');
  const expected = options.sha256 ?? MATH500_SHA256;
  const cached = await readFile(file).catch(() => undefined);
  if (cached && sha256(cached) === expected) return file;
  const doFetch = options.fetch ?? globalThis.fetch;
  const urls = options.urls ?? MATH500_URLS;
  const failures: string[] = [];
  for (const url of urls) {
    try {
      options.log?.(`downloading MATH-500 from ${url}`);
      const response = await doFetch(url, { signal: AbortSignal.timeout(60_000) });
      if (!response.ok) {
        failures.push(`${url}: HTTP ${response.status}`);
        continue;
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      const actual = sha256(bytes);
      if (actual !== expected) {
        failures.push(`${url}: SHA-256 ${actual} does not match the expected ${expected}`);
        continue;
      }
      await writeFileAtomic(file, bytes);
      return file;
    } catch (error) {
      failures.push(`${url}: ${(error as Error).message}${(error as Error).cause ? ` (${String((error as Error & { cause: unknown }).cause)})` : ''}`);
    }
  }
  if (urls.length === 0) throw new ConfigError('data', 'no download URL configured; pass --data FILE');
  throw new HttpRequestError(
    urls[0] as string,
    undefined,
    `could not download MATH-500 (offline or blocked?). Tried:\n  ${failures.join('\n  ')}\n` +
      `Fix: pass --data path/to/test.jsonl (a MATH-500 JSONL with problem, answer, subject, level, unique_id), ` +
      `or place a copy with SHA-256 ${expected} at ${file}.`,
  );
}
