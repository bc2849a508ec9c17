import { DataFormatError, type Problem, type SampleOptions, type Sampler, type Tokenizer, type Verifier } from '@oreal-ts/core';
import { writeJsonAtomic } from '@oreal-ts/core/node';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { RewardValues } from './grade-rollouts';
import type { TrainerPhases } from './phases/index';
import type { TokenizedRollout } from './tokenize-rollouts';
import { firstWrongToken, type CreditMarker, type HeldOutRollouts } from './reward-model-diagnostics';

/** Name of the held-out reward-model set inside the run folder. */
export const REWARD_MODEL_HELD_OUT_FILE = 'reward-model-heldout.json';

const tokenIds = z.array(z.number().int().min(0));

/** The file format of a held-out set (one row per non-empty rollout). */
export const HeldOutFileSchema = z.strictObject({
  format: z.literal('oreal-ts/reward-model-heldout'),
  version: z.literal(1),
  /** Trainer step after which the rollouts were sampled (0 = the starting policy). */
  sampledAfterStep: z.number().int().min(0),
  rows: z.array(
    z.strictObject({
      problemId: z.string(),
      promptIds: tokenIds,
      responseIds: tokenIds.min(1),
      positive: z.boolean(),
      marker: z.number().int().min(0).nullable(),
    }),
  ),
});

/** A held-out set as stored. */
export type HeldOutFile = z.output<typeof HeldOutFileSchema>;

/** What sampling a held-out set needs. */
export interface SampleHeldOutOptions {
  readonly phases: Pick<TrainerPhases, 'sample' | 'grade'>;
  readonly sampler: Sampler;
  readonly verifier: Verifier;
  readonly tokenizer: Tokenizer;
  readonly problems: readonly Problem[];
  /** Sampling options: n = rollouts per problem, the training temperature, a seed of its own. */
  readonly options: SampleOptions;
  readonly stop?: readonly string[];
  readonly rewards: RewardValues;
  readonly marker?: CreditMarker;
  readonly sampledAfterStep: number;
}

/**
 * Sample, grade and mark a held-out set: `options.n` rollouts per problem, labelled 1[r > 0], with
 * the first wrong token of each wrong rollout when a marker is given. Empty responses are dropped.
 */
export async function sampleHeldOut(options: SampleHeldOutOptions): Promise<HeldOutFile> {
  const { groups } = await options.phases.sample({
    sampler: options.sampler,
    tokenizer: options.tokenizer,
    problems: options.problems,
    options: options.options,
    ...(options.stop ? { stop: options.stop } : {}),
  });
  const { graded } = await options.phases.grade({ verifier: options.verifier, groups, rewards: options.rewards });
  const rows = graded.flatMap((group) =>
    group.rollouts
      .map((g) => ({ g, rollout: g.rollout as TokenizedRollout }))
      .filter(({ rollout }) => rollout.tokenIds.length > 0)
      .map(({ g, rollout }) => {
        const positive = g.reward > 0;
        const ids = rollout.tokenIds;
        return {
          problemId: group.problem.id,
          promptIds: [...rollout.promptTokenIds],
          responseIds: [...ids],
          positive,
          marker:
            positive || !options.marker ? null : firstWrongToken(options.marker, options.tokenizer, group.problem, ids),
        };
      }),
  );
  return { format: 'oreal-ts/reward-model-heldout', version: 1, sampledAfterStep: options.sampledAfterStep, rows };
}

/** The held-out set as the diagnostics take it. */
export function heldOutRolloutsOf(file: HeldOutFile): HeldOutRollouts {
  return {
    batch: { promptIds: file.rows.map((r) => r.promptIds), responseIds: file.rows.map((r) => r.responseIds) },
    positive: file.rows.map((r) => r.positive),
    markers: file.rows.map((r) => r.marker),
    problemIds: file.rows.map((r) => r.problemId),
  };
}

/** Write a held-out set atomically. */
export async function writeHeldOut(path: string, file: HeldOutFile): Promise<void> {
  await writeJsonAtomic(path, file);
}

/**
 * Read a held-out set; null when the file does not exist. A file that is not one throws
 * `DataFormatError` naming the file and the field.
 */
export async function readHeldOut(path: string): Promise<HeldOutFile | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DataFormatError(path, 1, undefined, `is not JSON (${(error as Error).message}); delete it to sample a new held-out set`);
  }
  const parsed = HeldOutFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DataFormatError(
      path,
      1,
      issue?.path.join('.') || undefined,
      `is not a reward-model held-out set (${issue?.message ?? 'invalid'}); delete it to sample a new one`,
    );
  }
  return parsed.data;
}
