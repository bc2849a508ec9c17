import { ConfigError } from '@oreal-ts/core';
import { evaluatePassAt1 } from '@oreal-ts/trainer';
import {
  createPolicyFromConfig,
  createSamplerFromConfig,
  createVerifierFromConfig,
} from '../compose/create-components';
import { loadProblems } from '../compose/load-problems';
import type { ConfigFlags } from '../program';
import { formatEvalSummary } from '../report/summaries';
import { initBackendAndReport } from './backend';
import type { CommandOutput } from './output';
import { prepareRun } from './prepare-run';
import { join } from 'node:path';
import { writeJsonAtomic } from '@oreal-ts/core/node';

/** Flags of `oreal eval`. */
export interface EvalFlags extends ConfigFlags {
  readonly checkpoint?: string;
  readonly samples: number;
}

/** `oreal eval`: held-out greedy (and sampled) pass@1 of a checkpoint, through the configured sampler. */
export async function runEvalCommand(flags: EvalFlags, output: CommandOutput): Promise<void> {
  if (!Number.isInteger(flags.samples) || flags.samples < 0)
    throw new ConfigError('--samples', `must be a whole number ≥ 0, got ${flags.samples}`);
  const set = flags.checkpoint ? [...flags.set, `model.checkpoint=${flags.checkpoint}`] : flags.set;
  const { config, runDir } = await prepareRun('eval', { ...flags, set }, output);
  if (!config.model.checkpoint && config.sampler.type === 'local') {
    throw new ConfigError(
      '--checkpoint',
      'missing; evaluate a trained policy, e.g. --checkpoint runs/<run>/sft',
    );
  }
  await initBackendAndReport(output);
  const { policy, tokenizer } = await createPolicyFromConfig(config, config.model.optimizer, 1);
  const verifier = createVerifierFromConfig(config);
  try {
    const { test } = await loadProblems(config);
    const sampling = config.trainer.sampling;
    const metrics = await evaluatePassAt1({
      sampler: createSamplerFromConfig(config, policy, tokenizer),
      verifier,
      problems: test,
      sampling: {
        temperature: sampling.temperature,
        topP: sampling.topP,
        topK: sampling.topK,
        maxNewTokens: config.trainer.evalMaxNewTokens ?? sampling.maxNewTokens,
        ...(sampling.stop ? { stop: sampling.stop } : {}),
        ...(sampling.stopTokenIds
          ? { stopTokenIds: sampling.stopTokenIds }
          : tokenizer.eosTokenId === undefined
            ? {}
            : { stopTokenIds: [tokenizer.eosTokenId] }),
      },
      seed: config.seed,
      sampled: flags.samples > 0,
      samplesPerProblem: Math.max(1, flags.samples),
    });
    await writeJsonAtomic(join(runDir, 'eval.json'), metrics);
    output.out(
      `${formatEvalSummary(metrics)} in ${metrics.timing.evalSeconds.toFixed(1)} s\nverdicts: ${JSON.stringify(metrics.verdictReasons)}`,
    );
  } finally {
    policy.dispose();
    const closable = verifier as { close?: () => Promise<void> };
    if (closable.close) await closable.close();
  }
}
