import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file is apps/math500-bench/test/helpers.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The shared MATH-500 file, `../shared/data/math500/test.jsonl` relative to the repository root. */
export const math500File = resolve(repoRoot, '../shared/data/math500/test.jsonl');

/** Whether the shared MATH-500 file is present (tests that need it skip, saying why, when it is not). */
export const hasMath500 = existsSync(math500File);

/** The reason given when skipping for lack of the data file. */
export const NO_DATA_REASON = 'needs ../shared/data/math500/test.jsonl from the repository root; skipped only when that file is absent';

/** A fresh temporary folder. */
export function temporaryDir(prefix = 'math500-bench-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}
