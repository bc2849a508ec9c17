import { packageBuild } from '../../tsup.shared';

export default packageBuild({ index: 'src/index.ts', cli: 'src/cli.ts' }, { dts: { entry: { index: 'src/index.ts' } } });
