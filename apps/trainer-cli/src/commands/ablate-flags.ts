import { ConfigError, parseConfig } from '@oreal-ts/core';
import { z } from 'zod';
import { ABLATION_VARIANTS, type AblationVariant } from '../pipeline/ablation-variants';

/** The raw flags of `oreal ablate` as commander hands them over (strings, or absent). */
export interface AblateFlagInput {
  readonly variants?: string;
  readonly seeds?: string;
  readonly jobs?: string;
  readonly target?: string;
  readonly aggregate?: string;
}

/** The validated flags of `oreal ablate`. */
export interface AblateFlags {
  /** The arms to run, in `ABLATION_VARIANTS` order. */
  readonly variants: readonly AblationVariant[];
  /** Seeds to run (config.seed, config.seed + 1, …). Default 1. */
  readonly seeds: number;
  /** Seeds run at once, each in its own process. Default 1 (in this process). */
  readonly jobs: number;
  /** Target held-out greedy pass@1 of "rollouts to target"; null: the default (see `defaultTarget`). */
  readonly target: number | null;
  /** Aggregate the `seed-<s>/` folders of this earlier multi-seed run instead of training; null: train. */
  readonly aggregate: string | null;
}

/** The most seeds (and jobs) one `oreal ablate` accepts. */
export const MAX_SEEDS = 100;

const wholeNumber = (flag: string, example: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number from 1 to ${MAX_SEEDS}, e.g. ${flag} ${example}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(1, `must be at least 1, e.g. ${flag} ${example}`)
        .max(MAX_SEEDS, `must be at most ${MAX_SEEDS}`),
    );

const SeedsSchema = wholeNumber('--seeds', '5').default(1);
const JobsSchema = wholeNumber('--jobs', '2').default(1);
const TargetSchema = z
  .string()
  .trim()
  .regex(/^(\d+(\.\d*)?|\.\d+)$/, 'must be a pass@1 fraction from 0 to 1, e.g. --target 0.9')
  .transform(Number)
  .pipe(z.number().max(1, 'must be a pass@1 fraction from 0 to 1 (not a percentage), e.g. --target 0.9'))
  .optional();

/**
 * Validate the flags of `oreal ablate`. A bad flag throws `ConfigError` naming it (`--seeds`,
 * `--jobs`, `--target`, `--variants`), the bad value and the fix.
 */
export function parseAblateFlags(input: AblateFlagInput): AblateFlags {
  const seeds = parseConfig(SeedsSchema, input.seeds, '--seeds');
  const jobs = parseConfig(JobsSchema, input.jobs, '--jobs');
  const target = parseConfig(TargetSchema, input.target, '--target') ?? null;
  const names = ABLATION_VARIANTS.map((v) => v.name);
  const chosen = input.variants === undefined ? names : input.variants.split(',').map((v) => v.trim());
  const unknown = chosen.filter((name) => !names.includes(name));
  if (unknown.length > 0 || chosen.length === 0) {
    throw new ConfigError(
      '--variants',
      `unknown ${unknown.map((u) => JSON.stringify(u)).join(', ')}; choose from ${names.join(', ')}`,
    );
  }
  const variants = ABLATION_VARIANTS.filter((v) => chosen.includes(v.name));
  if (!variants.some((v) => v.objective !== undefined)) {
    throw new ConfigError(
      '--variants',
      `needs at least one RL arm (the SFT start is evaluated by the first RL arm); add e.g. oreal to ${JSON.stringify(input.variants)}`,
    );
  }
  const aggregate = input.aggregate === undefined ? null : input.aggregate.trim();
  if (aggregate !== null) {
    if (aggregate === '')
      throw new ConfigError('--aggregate', 'needs the folder of a multi-seed oreal ablate run, e.g. --aggregate runs/ablate-<time>');
    if (input.seeds !== undefined || input.jobs !== undefined || input.variants !== undefined)
      throw new ConfigError(
        '--aggregate',
        'reads the seeds and arms an earlier run wrote, so it takes no --seeds, --jobs or --variants (only --target)',
      );
  }
  return { variants, seeds, jobs, target, aggregate };
}
