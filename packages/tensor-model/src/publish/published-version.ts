/**
 * The `version.json` of a published weights folder (`<dir>/policy-v<version>/`) and the folder
 * hash, shared by the publisher (writes them) and servers that load published folders (read them).
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { CheckpointError, type PublishedWeights } from '@oreal-ts/core';
import { openCheckpointTensors } from '../checkpoint/checkpoint-files';

/** Name of the version file inside a published folder. */
export const VERSION_FILE = 'version.json';
/** `format` of a published folder's version file. */
export const PUBLISHED_WEIGHTS_FORMAT = 'oreal-ts/published-weights';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex sha256');

/**
 * `version.json`: `tensors` lists the sha256 of EVERY tensor of the weights the folder stands for
 * (for a delta: the weights after applying it, including tensors the folder does not hold), so a
 * publisher can diff against it after a restart and a loader can check each tensor it reads.
 */
export const PublishedVersionSchema = z
  .object({
    format: z.literal(PUBLISHED_WEIGHTS_FORMAT),
    version: z.number().int().min(0),
    kind: z.enum(['full', 'delta']),
    baseVersion: z.number().int().min(0).optional(),
    sha256: Sha256,
    tensors: z.record(z.string(), Sha256),
  })
  .strict()
  .refine((value) => (value.kind === 'delta') === (value.baseVersion !== undefined), { message: 'baseVersion is required for kind delta and only for it', path: ['baseVersion'] });

/** A parsed `version.json`. */
export type PublishedVersion = z.output<typeof PublishedVersionSchema>;

/** Folder name of `version`. */
export function publishedFolderName(version: number): string {
  return `policy-v${version}`;
}

/** Parse `<folder>/version.json` (CheckpointError naming the file and field). */
export async function readPublishedVersion(folder: string): Promise<PublishedVersion> {
  const file = join(folder, VERSION_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new CheckpointError(file, `cannot read ${VERSION_FILE}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = PublishedVersionSchema.safeParse(raw);
  if (!parsed.success) {
    throw new CheckpointError(file, `invalid ${VERSION_FILE}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** Whether `<folder>/version.json` exists (a folder a publisher wrote). */
export async function hasPublishedVersion(folder: string): Promise<boolean> {
  try {
    return (await stat(join(folder, VERSION_FILE))).isFile();
  } catch {
    return false;
  }
}

/**
 * The folder sha256: hex sha256 of the UTF-8 text made of one line `<hf name>:<tensor sha256>\n`
 * per tensor of the weights the folder stands for (all of them, also for a delta), sorted by name
 * (JavaScript string order), followed by the line `config.json:<sha256 of config.json's bytes>\n`.
 * Each tensor sha256 is over its F32 little-endian bytes (after BF16 rounding when written as BF16).
 * Equal weights and config give the same hash whatever the kind (full/delta) or sharding.
 */
export function folderSha256(tensors: Readonly<Record<string, string>>, configBytes: Uint8Array): string {
  const lines = Object.keys(tensors)
    .sort()
    .map((name) => `${name}:${tensors[name]}\n`);
  lines.push(`config.json:${createHash('sha256').update(configBytes).digest('hex')}\n`);
  return createHash('sha256').update(lines.join(''), 'utf8').digest('hex');
}

/** Describe a complete published folder as `PublishedWeights` (tensor count from its headers, bytes from file sizes). */
export async function describePublishedFolder(folder: string, version?: PublishedVersion): Promise<PublishedWeights> {
  const path = resolve(folder);
  const meta = version ?? (await readPublishedVersion(path));
  const reader = await openCheckpointTensors(path);
  const tensorCount = reader.shapes.size;
  await reader.close();
  let bytes = 0;
  for (const file of await readdir(path)) {
    if (file.endsWith('.safetensors') || file === 'model.safetensors.index.json' || file === 'config.json') bytes += (await stat(join(path, file))).size;
  }
  return {
    version: meta.version,
    path,
    sha256: meta.sha256,
    kind: meta.kind,
    ...(meta.baseVersion === undefined ? {} : { baseVersion: meta.baseVersion }),
    tensorCount,
    bytes,
  };
}
