import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@oreal-ts/core';

let bundledFromSource: string | undefined;

/**
 * Where the worker script is. Built package: `worker.js` beside this module (`dist/pool/`). From
 * source (this module is a `.ts` file, e.g. under vitest): `$OREAL_MATH_VERIFIER_WORKER` if set,
 * else a one-off esbuild bundle of `src/pool/worker.ts` in the package's `node_modules/.cache`
 * (so its external imports such as compute-engine resolve; esbuild ships with the workspace's tsup;
 * the bundle is always as fresh as the source), else the package's built `dist/pool/worker.js`.
 */
export function resolveWorkerFile(moduleUrl: string): string {
  const fromEnvironment = process.env['OREAL_MATH_VERIFIER_WORKER'];
  const sourceMode = /\.[cm]?ts$/.test(new URL(moduleUrl).pathname);
  if (!sourceMode) {
    const built = fileURLToPath(new URL('./worker.js', moduleUrl));
    if (existsSync(built)) return built;
    throw new ConfigError('pool.workerFile', `worker script ${built} is missing; reinstall @oreal-ts/math-verifier or pass workerFile`);
  }
  if (fromEnvironment) return fromEnvironment;
  const dist = fileURLToPath(new URL('../../dist/pool/worker.js', moduleUrl));
  if (bundledFromSource && existsSync(bundledFromSource)) return bundledFromSource;
  const source = fileURLToPath(new URL('./worker.ts', moduleUrl));
  const directory = fileURLToPath(new URL('../../node_modules/.cache/math-verifier-worker/', moduleUrl));
  mkdirSync(directory, { recursive: true });
  const outfile = join(directory, `worker-${process.pid}.mjs`);
  try {
    const esbuildName = 'esbuild';
    const esbuild = createRequire(moduleUrl)(esbuildName) as {
      buildSync(options: Record<string, unknown>): unknown;
    };
    esbuild.buildSync({
      entryPoints: [source],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      conditions: ['source'],
      external: ['@cortex-js/compute-engine', 'piscina', 'zod'],
      logLevel: 'silent',
    });
  } catch (error) {
    if (existsSync(dist)) return dist;
    throw new ConfigError(
      'pool.workerFile',
      `running from source and dist/pool/worker.js is not built; bundling ${source} failed (${error instanceof Error ? error.message : String(error)}). Run \`npx tsup\` in packages/math-verifier, or pass workerFile`,
    );
  }
  bundledFromSource = outfile;
  return outfile;
}
