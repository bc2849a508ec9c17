import { CheckpointError, RngStateSchema } from '@oreal-ts/core';
import { writeFileAtomic, writeJsonAtomic } from '@oreal-ts/core/node';
import { copyFile, mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** File name of the trainer state inside a checkpoint folder. */
export const TRAINER_STATE_FILE = 'trainer-state.json';
/** Name of the pointer file (holding the latest checkpoint's folder name) in the checkpoints folder. */
export const LATEST_POINTER_FILE = 'latest';

/** Schema of `trainer-state.json`. */
export const TrainerStateSchema = z.object({
  format: z.literal('oreal-ts/trainer-state'),
  version: z.literal(1),
  /** Steps completed. */
  step: z.number().int().min(0),
  seed: z.number().int(),
  /** The trainer's RNG (per-step sampling seeds and selection). */
  rng: RngStateSchema,
  /** Data cursor. */
  cursor: z.object({ epoch: z.number().int().min(0), position: z.number().int().min(0) }),
  /** Best held-out greedy pass@1 so far (evals after step ≥ 1), and its step. */
  best: z.object({ step: z.number().int().min(0), greedyPassAt1: z.number() }).nullable(),
  /** Step of the last evaluation (null before any). */
  lastEvalStep: z.number().int().min(0).nullable(),
  /** Lines of metrics.jsonl written so far (a copy lies beside this file). */
  metricsLines: z.number().int().min(0),
  /** Policy optimiser steps taken so far. */
  policyUpdates: z.number().int().min(0),
  hasRewardModel: z.boolean(),
  /** Number and fingerprint of the training problems (resume warns when they differ). */
  problems: z.object({ count: z.number().int().min(0), fingerprint: z.string() }),
  /** Why it was written (`periodic`, `best`, `abort`, `final`, `signal`, …). */
  reason: z.string(),
});

/** The trainer state stored in a checkpoint. */
export type TrainerState = z.output<typeof TrainerStateSchema>;

/** One checkpoint folder. */
export interface CheckpointEntry {
  readonly name: string;
  readonly step: number;
  readonly path: string;
}

/** Folder name of the checkpoint after `step` steps, e.g. `step-000006`. */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

const NAME_PATTERN = /^step-(\d+)$/;

/** Finished checkpoints under `root`, oldest first (`.tmp` folders and stray files are ignored). */
export async function listCheckpoints(root: string): Promise<CheckpointEntry[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const out: CheckpointEntry[] = [];
  for (const name of names) {
    const match = NAME_PATTERN.exec(name);
    if (!match) continue;
    const path = join(root, name);
    if (!(await stat(path)).isDirectory()) continue;
    out.push({ name, step: Number(match[1]), path });
  }
  return out.sort((a, b) => a.step - b.step);
}

/**
 * The checkpoint the `latest` pointer names, or the highest-numbered one when the pointer is
 * missing. Throws `CheckpointError` when there is none.
 */
export async function resolveLatestCheckpoint(root: string): Promise<string> {
  try {
    const name = (await readFile(join(root, LATEST_POINTER_FILE), 'utf8')).trim();
    if (NAME_PATTERN.test(name)) return join(root, name);
  } catch {
    // fall through to the listing
  }
  const entries = await listCheckpoints(root);
  const last = entries[entries.length - 1];
  if (!last)
    throw new CheckpointError(
      root,
      'no checkpoint found; train first or pass a checkpoint folder explicitly',
    );
  return last.path;
}

/** Read and validate `trainer-state.json` of a checkpoint; `CheckpointError` when missing or malformed. */
export async function readTrainerState(dir: string): Promise<TrainerState> {
  const file = join(dir, TRAINER_STATE_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CheckpointError(
      dir,
      `cannot read ${TRAINER_STATE_FILE} (${(error as Error).message}); the checkpoint is incomplete — resume from an earlier one`,
      { cause: error },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(
      dir,
      `${TRAINER_STATE_FILE} is not valid JSON (${(error as Error).message}); the checkpoint is corrupt — resume from an earlier one`,
      { cause: error },
    );
  }
  const parsed = TrainerStateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CheckpointError(
      dir,
      `${TRAINER_STATE_FILE}: field '${issue?.path.join('.') ?? ''}' ${issue?.message ?? 'invalid'}; the checkpoint is corrupt or from another version — resume from an earlier one`,
    );
  }
  return parsed.data;
}

/** What `writeCheckpoint` needs. */
export interface WriteCheckpointOptions {
  /** Checkpoints folder. */
  readonly root: string;
  readonly state: TrainerState;
  /** Writes the models into the (temporary) checkpoint folder. */
  readonly writeModels: (dir: string) => Promise<void>;
  /** The run's metrics file, copied into the checkpoint when it exists. */
  readonly metricsFile?: string;
}

/**
 * Write a checkpoint atomically: everything goes into `step-NNNNNN.tmp/`, which is then renamed
 * to `step-NNNNNN/` (an existing folder of that name is replaced), and only then is the `latest`
 * pointer rewritten (itself atomically). A crash leaves at worst a `.tmp` folder, never a torn checkpoint.
 */
export async function writeCheckpoint(options: WriteCheckpointOptions): Promise<string> {
  const name = checkpointName(options.state.step);
  const target = join(options.root, name);
  const temporary = `${target}.tmp`;
  await mkdir(options.root, { recursive: true });
  await rm(temporary, { recursive: true, force: true });
  await mkdir(temporary, { recursive: true });
  try {
    await options.writeModels(temporary);
    if (options.metricsFile) {
      try {
        await copyFile(options.metricsFile, join(temporary, 'metrics.jsonl'));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    await writeJsonAtomic(join(temporary, TRAINER_STATE_FILE), options.state);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw new CheckpointError(temporary, `writing failed: ${(error as Error).message}`, { cause: error });
  }
  let previous: string | undefined;
  if (await exists(target)) {
    previous = `${target}.old`;
    await rm(previous, { recursive: true, force: true });
    await rename(target, previous);
  }
  await rename(temporary, target);
  if (previous) await rm(previous, { recursive: true, force: true });
  await writeFileAtomic(join(options.root, LATEST_POINTER_FILE), `${name}\n`);
  return target;
}

/**
 * Delete all but the `keepLast` most recent checkpoints up to `currentStep` and those named in
 * `keep`. Checkpoints AFTER `currentStep` belong to an abandoned continuation (the run was resumed
 * from an earlier one and has overwritten its metrics) and are deleted too.
 */
export async function pruneCheckpoints(
  root: string,
  keepLast: number,
  currentStep: number,
  keep: ReadonlySet<string> = new Set(),
): Promise<string[]> {
  const entries = await listCheckpoints(root);
  const stale = entries.filter((entry) => entry.step > currentStep);
  const current = entries.filter((entry) => entry.step <= currentStep);
  const old = current
    .slice(0, Math.max(0, current.length - keepLast))
    .filter((entry) => !keep.has(entry.name));
  const removable = [...old, ...stale];
  for (const entry of removable) await rm(entry.path, { recursive: true, force: true });
  return removable.map((entry) => entry.path);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
