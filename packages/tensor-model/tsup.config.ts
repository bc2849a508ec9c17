import { packageBuild } from '../../tsup.shared';

// import.meta.url (used to locate the wasm backend's .wasm files) in the CJS build.
export default packageBuild({ index: 'src/index.ts' }, { shims: true });
