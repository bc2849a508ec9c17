import { parseConfig } from '@oreal-ts/core';
import { z } from 'zod';

/**
 * Sampling settings for training rollouts. Defaults follow OREAL's reference implementation
 * (InternLM/OREAL 2859cc0): temperature 1.0, top-p 0.9, no top-k.
 */
export const TrainerSamplingSchema = z
  .strictObject({
    /** Softmax temperature. Default 1.0 (reference: 1.0). */
    temperature: z.number().min(0, 'must be ≥ 0 (0 is greedy); use 1.0 as in OREAL').default(1),
    /** Nucleus mass. Default 0.9 (reference: 0.9). */
    topP: z
      .number()
      .gt(0, 'must be in (0, 1]; use 0.9 as in OREAL or 1 to disable')
      .max(1, 'must be in (0, 1]; use 1 to disable nucleus sampling')
      .default(0.9),
    /** Top-k; 0 disables it. Default 0 (reference: no top-k). */
    topK: z.number().int().min(0, 'must be ≥ 0; use 0 to disable top-k').default(0),
    /**
     * Token budget per response. Default 14000 (reference: ~14k at 7B scale); lower it to fit
     * your model's context — the trainer refuses a budget ≥ the policy's maxSequenceLength.
     */
    maxNewTokens: z
      .number()
      .int()
      .min(1, 'must be a positive integer; e.g. 64 for the built-in tasks')
      .default(14000),
    /** Stop strings, kept at the end of the response. Default none. */
    stop: z.array(z.string().min(1, 'stop strings must be non-empty')).optional(),
    /** Stop token ids. Default: the tokenizer's end-of-sequence id, when it has one (chosen). */
    stopTokenIds: z.array(z.number().int().min(0, 'token ids are ≥ 0')).optional(),
  })
  .default({ temperature: 1, topP: 0.9, topK: 0, maxNewTokens: 14000 });

/** Checkpointing settings. */
export const TrainerCheckpointSchema = z
  .strictObject({
    /** Folder of checkpoints, relative to the run folder unless absolute. Default `checkpoints` (chosen). */
    dir: z.string().min(1, 'must be a folder name, e.g. "checkpoints"').default('checkpoints'),
    /** Save every N steps; 0 disables periodic saves. Default 10 (chosen). */
    every: z.number().int().min(0, 'must be ≥ 0; use 0 to disable periodic checkpoints').default(10),
    /** How many of the most recent checkpoints to keep. Default 2 (chosen). */
    keepLast: z.number().int().min(1, 'must be ≥ 1: resume needs at least the latest checkpoint').default(2),
    /** Also keep the checkpoint with the best held-out greedy pass@1 (saved when an eval improves it). Default true (chosen). */
    keepBest: z.boolean().default(true),
    /** Save a checkpoint when `run()` is aborted through its signal. Default true (chosen). */
    onAbort: z.boolean().default(true),
    /** Save a checkpoint when `run()` completes its steps. Default true (chosen). */
    atEnd: z.boolean().default(true),
  })
  .default({ dir: 'checkpoints', every: 10, keepLast: 2, keepBest: true, onAbort: true, atEnd: true });

/**
 * Weight publication and the step schedule (issue 14). Only used when `createTrainer` gets a
 * `publisher` (and a `weightSync`); without one the trainer samples exactly as before.
 */
export const TrainerWeightSyncSchema = z
  .strictObject({
    /** Publish (and sync) the policy every N optimiser steps. Default 1 (chosen: always on-policy). */
    every: z
      .number()
      .int()
      .min(1, 'must be ≥ 1 (optimiser steps between publications); use 1 to publish after every update')
      .default(1),
    /**
     * `sync`: publish → every server confirms → the next step samples (exactly on-policy).
     * `async`: the next step's rollouts are sampled while this step trains; rollouts staler than
     * `maxStaleness` are dropped. Default `sync` (chosen; the reference loop is on-policy).
     */
    schedule: z.enum(['sync', 'async'], { message: "must be 'sync' or 'async'" }).default('sync'),
    /**
     * Async only: the largest staleness (trainer version − rollout version) a rollout may have to
     * be trained on. Default 1 (chosen: one batch of prefetch, as AReaL's and prime-rl's bound).
     */
    maxStaleness: z
      .number()
      .int()
      .min(
        1,
        "must be ≥ 1 (the async schedule samples one step ahead); use schedule 'sync' for on-policy training",
      )
      .default(1),
  })
  .default({ every: 1, schedule: 'sync', maxStaleness: 1 });

/**
 * Truncated importance sampling (TIS) of the sampler/trainer mismatch. Off unless present.
 * A departure from the OREAL reference (which trains on-policy with no such ratio).
 */
export const TrainerImportanceSamplingSchema = z.strictObject({
  /**
   * Cap C of the per-token ratio min(exp(ℓ_trainer − ℓ_sampler), C) that multiplies each token's
   * loss gradient. No default: choose it (verl's example scripts use 2).
   */
  cap: z.number().gt(0, 'must be > 0; e.g. 2').finite('must be finite; e.g. 2'),
});

/**
 * How the trainer trains and measures the token reward model (issue 16). Defaults are the
 * reference's behaviour (one RM step per RL step on the objective's selected rows); the other
 * values are departures from the reference, named in the README.
 */
export const TrainerRewardModelSchema = z
  .strictObject({
    /**
     * Rows the reward model trains on each step: `selected` = the objective's selected rows (for
     * OREAL one positive and one negative per kept group; reference), `all` = every non-empty
     * rollout of the step's B·K (a departure: up to K/2 times more labelled sequences per step).
     */
    trainOn: z.enum(['selected', 'all'], { message: "must be 'selected' (reference) or 'all'" }).default('selected'),
    /** Optimiser steps of the reward model per RL step, on the same rows. Default 1 (reference: 1). */
    stepsPerStep: z.number().int().min(1, 'must be ≥ 1; 1 is the reference').default(1),
    /**
     * Held-out credit diagnostics: this many evaluation problems (the first ones) × `heldOutRolloutsPerProblem`
     * rollouts, sampled once from the starting policy at the training temperature, graded, and
     * scored by the reward model every `diagnosticsEvery` steps (accuracy, AUC, ω⁻ mass on the
     * first wrong token). 0 disables them. Default 0 (chosen: they cost a sampling pass).
     */
    heldOutProblems: z.number().int().min(0, 'must be ≥ 0; use 0 to disable the held-out diagnostics').default(0),
    /** Rollouts per held-out problem. Default 4 (chosen). */
    heldOutRolloutsPerProblem: z.number().int().min(1, 'must be ≥ 1').default(4),
    /** Record the reward-model diagnostics every N steps (and at the last step). Default 1 (chosen). */
    diagnosticsEvery: z.number().int().min(1, 'must be ≥ 1').default(1),
  })
  .default({ trainOn: 'selected', stepsPerStep: 1, heldOutProblems: 0, heldOutRolloutsPerProblem: 4, diagnosticsEvery: 1 });

/**
 * The trainer's configuration. Every field has a default; the `source` in each comment says
 * whether it is OREAL's reference value ("reference: …") or a choice of this package ("chosen").
 */
export const TrainerConfigSchema = z
  .strictObject({
    /** Seed of every random choice the trainer makes (data order, sampling seeds, selection). Default 0. */
    seed: z.number().int('must be an integer, e.g. 0').default(0),
    /** RL steps (one policy update each). Default 90 (reference: 90). */
    steps: z.number().int().min(1, 'must be ≥ 1; e.g. 90 as in OREAL').default(90),
    /** Problems per step, B. Default 64 (reference: 64). */
    batchProblems: z.number().int().min(1, 'must be ≥ 1; e.g. 64 as in OREAL').default(64),
    /** Rollouts per problem, K. Default 16 (reference: 16). */
    rolloutsPerProblem: z
      .number()
      .int()
      .min(2, 'must be ≥ 2: advantages compare a rollout with the others of its problem; e.g. 16 as in OREAL')
      .default(16),
    /** Rollout sampling. */
    sampling: TrainerSamplingSchema,
    /** Steps at the start during which only the token reward model trains. Default 10 (reference: 10). */
    actorFreezeSteps: z
      .number()
      .int()
      .min(0, 'must be ≥ 0; use 0 to update the policy from step 1')
      .default(10),
    /** Reward of a correct rollout; must be > 0. Default 1 (reference: +1). */
    rewardCorrect: z.number().finite().default(1),
    /** Reward of an incorrect, truncated or failed rollout; must be ≤ 0. Default −1 (reference: −1). */
    rewardIncorrect: z.number().finite().default(-1),
    /** Evaluate on the held-out problems every N steps; 0 disables periodic evals. Default 10 (chosen). */
    evalEvery: z.number().int().min(0, 'must be ≥ 0; use 0 to disable periodic evaluation').default(10),
    /** Evaluate once before the first step of a fresh run (step 0). Default true (chosen). */
    evalAtStart: z.boolean().default(true),
    /** Also measure sampled pass@1 (at the training temperature/top-p) besides greedy pass@1. Default true (chosen). */
    evalSampled: z.boolean().default(true),
    /** Samples per problem for sampled pass@1 (their mean correctness). Default 4 (chosen). */
    evalSamplesPerProblem: z.number().int().min(1, 'must be ≥ 1').default(4),
    /** Token budget per evaluation response. Default: `sampling.maxNewTokens`. */
    evalMaxNewTokens: z.number().int().min(1, 'must be a positive integer').optional(),
    /** Checkpointing. */
    checkpoint: TrainerCheckpointSchema,
    /** Dump every rollout of every N-th step to `trajectories/step-NNNNNN.jsonl`; 0 disables. Default 10 (chosen). */
    trajectoryDumpEvery: z
      .number()
      .int()
      .min(0, 'must be ≥ 0; use 0 to disable trajectory dumps')
      .default(10),
    /** Send a plain progress line to `hooks.onLog` every N steps; 0 disables. Default 1 (chosen). */
    logEvery: z.number().int().min(0, 'must be ≥ 0; use 0 to disable log lines').default(1),
    /** Shuffle the problems at the start of every epoch (seeded). Default true (chosen). */
    shuffle: z.boolean().default(true),
    /** Weight publication cadence and the step schedule (used with a `publisher`). */
    weightSync: TrainerWeightSyncSchema,
    /** Truncated importance sampling of the sampler/trainer log-prob mismatch; off when absent (reference: none). */
    importanceSampling: TrainerImportanceSamplingSchema.optional(),
    /** Token reward model training and diagnostics (used with a `tokenRewardModel`). */
    rewardModel: TrainerRewardModelSchema,
  })
  .superRefine((config, context) => {
    // Objectives and the token reward model read "correct" as r > 0 (oreal-method.md: labels 1[r > 0]).
    if (!(config.rewardCorrect > 0)) {
      context.addIssue({
        code: 'custom',
        path: ['rewardCorrect'],
        message: 'must be > 0: correctness is read as reward > 0 downstream; OREAL uses +1 / −1',
        input: config.rewardCorrect,
      });
    }
    if (!(config.rewardIncorrect <= 0)) {
      context.addIssue({
        code: 'custom',
        path: ['rewardIncorrect'],
        message: 'must be ≤ 0: correctness is read as reward > 0 downstream; OREAL uses −1 (0 also works)',
        input: config.rewardIncorrect,
      });
    }
    if (config.actorFreezeSteps >= config.steps && config.steps > 0) {
      context.addIssue({
        code: 'custom',
        path: ['actorFreezeSteps'],
        message: `is ≥ steps (${config.steps}), so the policy would never be updated; lower actorFreezeSteps or raise steps`,
        input: config.actorFreezeSteps,
      });
    }
  });

/** A validated trainer configuration (every default filled in). */
export type TrainerConfig = z.output<typeof TrainerConfigSchema>;
/** What a caller may pass: any subset of the fields; the rest take their defaults. */
export type TrainerConfigInput = z.input<typeof TrainerConfigSchema>;

/**
 * Validate a trainer configuration and fill in defaults. Throws core's `ConfigError` naming the
 * field (prefixed by `where`, e.g. `trainer`), the bad value and the fix.
 */
export function parseTrainerConfig(input: unknown, where = ''): TrainerConfig {
  return parseConfig(TrainerConfigSchema, input ?? {}, where);
}
