/** Build the test bundle of the CLI (see global-setup.ts). */
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import { CLI_BUNDLE_DIR } from './paths';

/** One ESM bundle of src/cli.ts with @oreal-ts/* read from source; third-party packages external. */
export async function buildCliBundle(): Promise<void> {
  await build({
    entry: { cli: fileURLToPath(new URL('../../src/cli.ts', import.meta.url)) },
    outDir: CLI_BUNDLE_DIR,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    dts: false,
    sourcemap: true,
    clean: true,
    silent: true,
    splitting: false,
    tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)),
    noExternal: [/^@oreal-ts\//],
    esbuildPlugins: [
      {
        // Every bare import that is not a workspace package loads from node_modules at run time
        // (also the optional native tfjs backends behind a guarded dynamic import()).
        name: 'third-party-external',
        setup(builder) {
          builder.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@oreal-ts/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
    esbuildOptions(options) {
      options.conditions = ['source', 'node', 'import', 'module', 'default'];
    },
  });
}
