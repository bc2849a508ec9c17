import type { Sampler } from '@oreal-ts/core';
import type { OrealConfig } from '../config/schema';
import { createComponentsFromConfig } from '../compose/create-components';
import type { ProblemSplits } from '../compose/load-problems';
import type { CommandOutput } from '../commands/output';
import type { ProgressReporter } from '../report/progress';
import { runReinforcement, type ReinforcementResult } from './reinforcement-run';

/** Run RL starting from a saved policy checkpoint (e.g. the SFT warm start), in its own run folder. */
export async function runReinforcementFromCheckpoint(options: {
  readonly config: OrealConfig;
  readonly checkpointDir: string;
  readonly problems: ProblemSplits;
  readonly runDir: string;
  readonly progress: ProgressReporter;
  readonly output: CommandOutput;
  readonly signal?: AbortSignal;
  readonly title: string;
  /** Wrap the composed sampler (e.g. to audit its answers). */
  readonly decorateSampler?: (sampler: Sampler) => Sampler;
}): Promise<ReinforcementResult & { parameterCount: number }> {
  const config: OrealConfig = {
    ...options.config,
    model: { ...options.config.model, checkpoint: options.checkpointDir },
  };
  const built = await createComponentsFromConfig(config, {
    problems: options.problems.train,
    evalProblems: options.problems.test,
  });
  const components = options.decorateSampler
    ? { ...built, sampler: options.decorateSampler(built.sampler), dispose: () => built.dispose() }
    : built;
  try {
    const result = await runReinforcement({
      config,
      components,
      runDir: options.runDir,
      progress: options.progress,
      output: options.output,
      ...(options.signal ? { signal: options.signal } : {}),
      title: options.title,
    });
    return { ...result, parameterCount: components.policy.parameterCount };
  } finally {
    await components.dispose();
  }
}
