import { defineConfig } from 'tsup';
import { packageDefaults } from '../../tsup.shared';

export default defineConfig([
  // Library entry: the composition functions, ESM + CJS + d.ts.
  { ...packageDefaults, entry: { index: 'src/index.ts' } },
  // The `oreal` bin: ESM only, keeps its #! line.
  { ...packageDefaults, entry: { cli: 'src/cli.ts' }, format: ['esm'], dts: false, clean: false },
]);
