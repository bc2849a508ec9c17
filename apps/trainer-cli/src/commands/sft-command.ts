import { createTaskTokenizer } from '../compose/create-components';
import { loadProblems } from '../compose/load-problems';
import type { ConfigFlags } from '../program';
import { runWarmStart } from '../pipeline/warm-start';
import { initBackendAndReport } from './backend';
import type { CommandOutput } from './output';
import { prepareRun } from './prepare-run';

/** `oreal sft`: supervised warm start of a fresh policy on the generated worked solutions; saves `<run>/sft`. */
export async function runSftCommand(flags: ConfigFlags, output: CommandOutput): Promise<void> {
  const { config, runDir, progress } = await prepareRun('sft', flags, output);
  await initBackendAndReport(output);
  const { train } = await loadProblems(config);
  const result = await runWarmStart({
    config,
    tokenizer: createTaskTokenizer(),
    problems: train,
    runDir,
    progress,
  });
  output.out(
    `sft: ${result.steps} steps in ${result.seconds.toFixed(0)} s, final loss ${result.finalLoss?.toFixed(4) ?? 'n/a'}\n` +
      `checkpoint: ${result.checkpointDir}\n` +
      `next: oreal eval --checkpoint ${result.checkpointDir}   or   oreal train --set model.checkpoint=${result.checkpointDir}`,
  );
}
