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
      ...extra,
    },
  });
}

/**
 * Vitest config for a package's benchmarks: `bench/*.bench.ts` files are plain vitest files that
 * measure, assert sanity, and write JSON under `<repo>/bench-results/<package>/` (see tools/scripts).
 */
export function benchConfig(): ViteUserConfig {
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['node'] } },
    test: {
      include: ['bench/**/*.bench.ts'],
      environment: 'node',
      testTimeout: 900_000,
      hookTimeout: 120_000,
      fileParallelism: false,
    },
  });
}
