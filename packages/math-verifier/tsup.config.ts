import { defineConfig } from 'tsup';

export default defineConfig({
  // `pool/worker` is the worker-thread script piscina loads from dist/pool/worker.js.
  entry: { index: 'src/index.ts', 'pool/index': 'src/pool/index.ts', 'pool/worker': 'src/pool/worker.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  // import.meta.url in the CommonJS build (the pool resolves its worker relative to itself).
  shims: true,
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
});
