import { packageBuild } from '../../tsup.shared';

export default packageBuild({ index: 'src/index.ts', 'node/index': 'src/node/index.ts', 'testing/index': 'src/testing/index.ts' });
