import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from '@oreal-ts/core';
import { createComponentsFromConfig } from '../compose/create-components';
import { describeBackend } from './backend';
import type { ConfigFlags } from '../program';
import { runReinforcement } from '../pipeline/reinforcement-run';
import { formatEvalSummary } from '../report/summaries';
import type { CommandOutput } from './output';
import { prepareRun } from './prepare-run';
import { abortOnSignals } from './signals';

/** Flags of `oreal train`. */
export interface TrainFlags extends ConfigFlags {
  /** `true`: resume the run named by logging.runName; a string: that run directory. */
  readonly resume?: string | boolean;
  /** With `resume`: this checkpoint folder instead of the latest. */
  readonly fromCheckpoint?: string;
  readonly haltAfterStep?: number;
}

/**
 * `oreal train`: compose every component from the config and run OREAL RL. With `--resume <run>`,
 * the run directory's latest checkpoint is restored and training continues exactly.
 */
export async function runTrainCommand(flags: TrainFlags, output: CommandOutput): Promise<void> {
  const resumeDir = typeof flags.resume === 'string' ? resolve(flags.resume) : undefined;
  const set = resumeDir
    ? [`logging.runsDir=${dirname(resumeDir)}`, `logging.runName=${basename(resumeDir)}`, ...flags.set]
    : flags.set;
  // Resuming a run directory reuses the config it saved, unless another one is given.
  const configFile = flags.config ?? (resumeDir ? join(resumeDir, 'config.json') : undefined);
  const { config, runDir, progress } = await prepareRun(
    'train',
    { ...(configFile ? { config: configFile } : {}), set },
    output,
  );
  if (flags.fromCheckpoint && !flags.resume)
    throw new ConfigError('--from-checkpoint', 'only applies with --resume <runDir>');
  if (flags.resume === true && !config.logging.runName) {
    throw new ConfigError(
      '--resume',
      'without a folder needs logging.runName to name the run; pass --resume runs/<run> instead',
    );
  }
  const components = await createComponentsFromConfig(config);
  output.err(describeBackend(components.backend));
  output.err(
    `policy ${components.policy.id}: ${components.policy.parameterCount.toLocaleString('en-US')} parameters · objective ${components.objective.id} · ` +
      `sampler ${components.sampler.id} · token RM ${components.tokenRewardModel ? 'on' : 'off'} · ${components.problems.length} train / ${components.evalProblems.length} held-out problems`,
  );
  if (config.sampler.type === 'openai' && config.fleet.weightSync === 'none') {
    output.err(
      "warning: fleet.weightSync is 'none': the servers keep sampling from their own weights while the policy trains, so the run is off-policy; set fleet.weightSync (oreal, sglang or vllm) to sync them",
    );
  }
  const signals = abortOnSignals((signal) =>
    output.err(`${signal}: saving a checkpoint and stopping after the current step (again to exit now)`),
  );
  try {
    const run = await runReinforcement({
      config,
      components,
      runDir,
      progress,
      output,
      signal: signals.signal,
      ...(flags.resume
        ? { resume: flags.fromCheckpoint ? resolve(flags.fromCheckpoint) : (true as const) }
        : {}),
      ...(flags.haltAfterStep === undefined ? {} : { haltAfterStep: flags.haltAfterStep }),
      title: `oreal train · ${components.objective.id}`,
    });
    output.out(
      `${run.result.stoppedBy === 'completed' ? 'finished' : 'stopped'} after ${run.result.steps} steps in ${run.seconds.toFixed(0)} s` +
        (run.lastEval ? ` · ${formatEvalSummary(run.lastEval)}` : '') +
        `\nmetrics: ${run.result.metricsFile}` +
        (run.result.checkpoint ? `\ncheckpoint: ${run.result.checkpoint}` : '') +
        (run.plot ? `\nplot: ${run.plot.png}` : ''),
    );
  } finally {
    signals.dispose();
    await components.dispose();
  }
}
