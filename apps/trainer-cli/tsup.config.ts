import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // Library entry: the composition functions, ESM + CJS + d.ts.
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    tsconfig: 'tsconfig.build.json',
  },
  {
    // The `oreal` bin: ESM only, keeps its #! line.
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    sourcemap: true,
    target: 'node20',
    tsconfig: 'tsconfig.build.json',
  },
]);
