import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { 'index': 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  // import.meta.url (used to locate the wasm backend's .wasm files) in the CJS build
  shims: true,
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
});
