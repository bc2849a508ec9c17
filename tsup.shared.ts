// Shared tsup settings: every package ships ESM + CJS with .d.ts/.d.cts and source maps for Node 20,
// built against its tsconfig.build.json. A package's tsup.config.ts names its entries and extras.
import { defineConfig, type Options } from 'tsup';

/** The common options of one build (ESM + CJS, declarations, source maps, node20). */
export const packageDefaults = {
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
} satisfies Options;

/** tsup config of a package: `entry` (name → source file) plus any option to override or add. */
export function packageBuild(entry: Record<string, string>, extra: Options = {}) {
  return defineConfig({ ...packageDefaults, entry, ...extra });
}
