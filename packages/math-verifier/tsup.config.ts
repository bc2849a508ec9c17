import { packageBuild } from '../../tsup.shared';

// `pool/worker` is the worker-thread script piscina loads from dist/pool/worker.js.
export default packageBuild(
  { index: 'src/index.ts', 'pool/index': 'src/pool/index.ts', 'pool/worker': 'src/pool/worker.ts' },
  // import.meta.url in the CommonJS build (the pool resolves its worker relative to itself).
  { shims: true },
);
