import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Folder of the test build of the CLI (git-ignored, inside test-results/). */
export const CLI_BUNDLE_DIR = fileURLToPath(new URL('../../test-results/cli-bundle', import.meta.url));
/** The bundled CLI entry, run with `node`. */
export const CLI_BUNDLE = join(CLI_BUNDLE_DIR, 'cli.js');
/** Fixtures made by the global setup (the tiny SFT checkpoint). */
export const FIXTURES_DIR = fileURLToPath(new URL('../../test-results/fixtures', import.meta.url));
