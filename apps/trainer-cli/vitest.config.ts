import { packageConfig } from '../../vitest.shared';

export default packageConfig({
  // Builds test-results/cli-bundle/cli.js once, for tests that spawn the real `oreal` process.
  globalSetup: ['test/support/global-setup.ts'],
  // Model-heavy integration files run one at a time (2-core CI); unit files are quick anyway.
  fileParallelism: false,
  testTimeout: 180_000,
});
