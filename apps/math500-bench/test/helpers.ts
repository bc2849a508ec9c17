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

/**
 * Bundle the CLI from the workspace sources (esbuild, `source` condition; third-party packages stay
 * external) so tests can run it as a real child process — and SIGKILL it — without a prior build.
 * The bundle goes under test-results/ so Node resolves the external packages from this app.
 */
export async function bundleCliFromSource(): Promise<string> {
  const { createRequire } = await import('node:module');
  const esbuild = createRequire(import.meta.url)('esbuild') as {
    build(options: Record<string, unknown>): Promise<unknown>;
  };
  const outfile = resolve(repoRoot, 'apps/math500-bench/test-results/cli-bundle/cli.mjs');
  await esbuild.build({
    entryPoints: [resolve(repoRoot, 'apps/math500-bench/src/cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    conditions: ['source'],
    logLevel: 'silent',
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    plugins: [
      {
        name: 'workspace-sources-only',
        setup(build: { onResolve(options: { filter: RegExp }, callback: (args: { path: string }) => unknown): void }) {
          build.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@oreal-ts/') ? undefined : { external: true }));
        },
      },
    ],
  });
  return outfile;
}
