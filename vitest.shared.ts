// Shared vitest settings: resolve sibling workspace packages through their `source` export condition,
// so tests read `src/` directly and never need a prior build.
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const conditions = ['source', 'node', 'import', 'module', 'default'];

/** Vitest config for one package; `extra` is merged into `test`. */
export function packageConfig(extra: NonNullable<ViteUserConfig['test']> = {}): ViteUserConfig {
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['node'] } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 60_000,
      hookTimeout: 60_000,
      reporters: ['default', 'json'],
      outputFile: { json: 'test-results/vitest.json' },
      // Test files run side by side on the cores already: one wasm thread each keeps them from
      // oversubscribing the machine. The threaded build is tested in its own child processes
      // (packages/tensor-model/test/wasm-threads.test.ts).
      env: { OREAL_WASM_THREADS: '1' },
      ...extra,
    },
  });
}

/**
 * Vitest config for a package's benchmarks: `bench/*.bench.ts` files are plain vitest files that
 * measure, assert sanity, and write JSON under `<repo>/bench-results/<package>/` (see tools/scripts).
 * Sibling packages are imported BUILT (their `dist/`, as users run them; `nx run <pkg>:bench`
 * builds them first): through the `source` condition, vite's module runner wraps every imported
 * binding in a getter, which measured ~35 % slower batch-1 decode steps (0.49 vs 0.36 ms).
 */
export function benchConfig(): ViteUserConfig {
  const built = conditions.filter((condition) => condition !== 'source');
  return defineConfig({
    resolve: { conditions: built },
    ssr: { resolve: { conditions: built, externalConditions: ['node'] } },
    test: {
      include: ['bench/**/*.bench.ts'],
      environment: 'node',
      testTimeout: 900_000,
      hookTimeout: 120_000,
      fileParallelism: false,
    },
  });
}
