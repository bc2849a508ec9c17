import { join } from 'node:path';
import { writeJsonAtomic } from '@oreal-ts/core/node';
import { loadConfig } from '../config/load-config';
import type { ConfigTree } from '../config/overrides';
import type { OrealConfig } from '../config/schema';
import { createProgressReporter, type ProgressReporter } from '../report/progress';
import { createRunDirectory } from '../report/run-directory';
import type { CommandOutput } from './output';

/** A validated config, its run directory (with `config.json` written) and a progress reporter. */
export interface PreparedRun {
  readonly config: OrealConfig;
  readonly runDir: string;
  readonly progress: ProgressReporter;
}

/** Load base ← `--config` ← `--set`, create the run directory and save the resolved config in it. */
export async function prepareRun(
  command: string,
  flags: { readonly config?: string; readonly set?: readonly string[] },
  output: CommandOutput,
  base?: ConfigTree,
): Promise<PreparedRun> {
  const config = await loadConfig({
    ...(base ? { base } : {}),
    ...(flags.config ? { file: flags.config } : {}),
    overrides: flags.set ?? [],
  });
  const runDir = await createRunDirectory(config.logging.runsDir, command, config.logging.runName);
  await writeJsonAtomic(join(runDir, 'config.json'), config);
  output.err(`run directory: ${runDir}`);
  const progress = createProgressReporter({
    mode: config.logging.progress,
    intervalSeconds: config.logging.intervalSeconds,
  });
  return { config, runDir, progress };
}
