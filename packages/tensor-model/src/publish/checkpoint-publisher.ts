/**
 * `createCheckpointPublisher`: core's `WeightPublisher` for a tensor-model policy. Each
 * `publish(v)` writes `<dir>/policy-v<v>/` (`config.json`, `model.safetensors` or shards + index,
 * HF names, F32 or BF16; `version.json`, see `published-version.ts`) into
 * `<dir>/.policy-v<v>.tmp-<pid>-<rand>` and renames it into place, so the folder appears whole or
 * not at all; appends one line to `<dir>/index.jsonl`; and deletes versions beyond the newest `keep`.
 *
 * `mode: 'delta'` writes only the tensors whose sha256 differs from the previous publication's
 * (`baseVersion` = that version). The first publication, and the first after a restart when no
 * readable previous version is on disk, is full. Deltas chain: a server must hold `baseVersion`;
 * pruning does not keep an older full version, so a server that missed versions needs a full one
 * (publish with `mode: 'full'` for it) — a known limit of this publisher.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type PublishedWeights, type WeightPublisher } from '@oreal-ts/core';
import { writeFileAtomic, writeJsonAtomic } from '@oreal-ts/core/node';
import { writeCheckpointTensors } from '../checkpoint/checkpoint-files';
import { float32Sha256 } from '../checkpoint/weight-reload';
import type { HostTensor } from '../training/parameter-trainer';
import {
  PUBLISHED_WEIGHTS_FORMAT,
  VERSION_FILE,
  describePublishedFolder,
  folderSha256,
  publishedFolderName,
  readPublishedVersion,
  type PublishedVersion,
} from './published-version';

/** What the publisher needs of a policy (a `TransformerPolicy` has it). */
export interface PublishablePolicy {
  huggingFaceWeights(): Map<string, HostTensor>;
  configJson(): Record<string, unknown>;
}

/** Options of `createCheckpointPublisher`. */
export interface CheckpointPublisherOptions {
  readonly policy: PublishablePolicy;
  /** Folder of the versions (created when missing), e.g. `<run>/weights`. */
  readonly dir: string;
  /** Versions kept on disk (≥ 1). Default 3. */
  readonly keep?: number;
  /** `full` (default) or `delta` (only changed tensors). */
  readonly mode?: 'full' | 'delta';
  /** Dtype of the written tensors. Default F32; BF16 keeps the high 16 bits (truncation). */
  readonly dtype?: 'F32' | 'BF16';
  /** Split weights into shards above this many bytes. Default 2 GiB. */
  readonly maxShardBytes?: number;
  /** Component id. Default `oreal-ts/tensor-model/checkpoint-publisher`. */
  readonly id?: string;
}

/** Core's `WeightPublisher` writing HF checkpoint folders. */
export interface CheckpointPublisher extends WeightPublisher {
  readonly dir: string;
}

const FOLDER = /^policy-v(\d+)$/;
const TEMP = /^\.policy-v\d+\.tmp-(\d+)-[0-9a-f]+$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Truncate float32 values to BF16 precision (as the BF16 writer stores them). */
function bf16Rounded(data: Float32Array): Float32Array {
  const out = Float32Array.from(data);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) bits[i] = (bits[i] as number) & 0xffff0000;
  return out;
}

/** Create a publisher of `policy`'s weights into `dir` (see the module comment). */
export function createCheckpointPublisher(options: CheckpointPublisherOptions): CheckpointPublisher {
  const keep = options.keep ?? 3;
  if (!Number.isInteger(keep) || keep < 1) throw new InvalidArgumentError('keep', `must be an integer ≥ 1, got ${keep}`);
  const mode = options.mode ?? 'full';
  if (mode !== 'full' && mode !== 'delta') throw new InvalidArgumentError('mode', `must be 'full' or 'delta', got ${JSON.stringify(mode)}`);
  const dtype = options.dtype ?? 'F32';
  if (dtype !== 'F32' && dtype !== 'BF16') throw new InvalidArgumentError('dtype', `must be 'F32' or 'BF16', got ${JSON.stringify(dtype)}`);
  const dir = resolve(options.dir);
  let previous: PublishedVersion | undefined;
  let ownTemp: string | undefined;

  /** Version folders on disk, newest first. */
  const versionsOnDisk = async (): Promise<number[]> => {
    let files: string[];
    try {
      files = await readdir(dir);
    } catch {
      return [];
    }
    return files
      .map((file) => FOLDER.exec(file)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number)
      .sort((a, b) => b - a);
  };

  /** Remove temp folders of crashed publications (dead processes, or this one's outside a publish). */
  const removeLeftovers = async (): Promise<void> => {
    let files: string[];
    try {
      files = await readdir(dir);
    } catch {
      return;
    }
    for (const file of files) {
      const match = TEMP.exec(file);
      if (!match || join(dir, file) === ownTemp) continue;
      const pid = Number(match[1]);
      if (pid === process.pid || !processAlive(pid)) await rm(join(dir, file), { recursive: true, force: true });
    }
  };

  /** The newest readable version.json on disk. */
  const newestReadable = async (): Promise<PublishedVersion | undefined> => {
    for (const version of await versionsOnDisk()) {
      try {
        const meta = await readPublishedVersion(join(dir, publishedFolderName(version)));
        if (meta.version === version) return meta;
      } catch {
        // An unreadable folder is not a complete version: skip it.
      }
    }
    return undefined;
  };

  return {
    specificationVersion: 'v1',
    id: options.id ?? 'oreal-ts/tensor-model/checkpoint-publisher',
    dir,

    async latest(): Promise<PublishedWeights | undefined> {
      await removeLeftovers();
      const meta = await newestReadable();
      if (!meta) return undefined;
      try {
        return await describePublishedFolder(join(dir, publishedFolderName(meta.version)), meta);
      } catch {
        return undefined;
      }
    },

    async discardNewerThan(version: number): Promise<readonly number[]> {
      if (!Number.isInteger(version) || version < 0) throw new InvalidArgumentError('version', `must be an integer ≥ 0, got ${version}`);
      await removeLeftovers();
      const newer = (await versionsOnDisk()).filter((v) => v > version).sort((a, b) => a - b);
      // Newest first: a crash part-way leaves a prefix of the old timeline, never a gap below a kept version.
      for (const v of [...newer].reverse()) await rm(join(dir, publishedFolderName(v)), { recursive: true, force: true });
      if (newer.length > 0) {
        previous = undefined; // a delta's base is re-read from what is left on disk
        await appendFile(join(dir, 'index.jsonl'), `${JSON.stringify({ discarded: newer, keptUpTo: version, discardedAt: new Date().toISOString() })}\n`);
      }
      return newer;
    },

    async publish(version: number): Promise<PublishedWeights> {
      if (!Number.isInteger(version) || version < 0) throw new InvalidArgumentError('version', `must be an integer ≥ 0, got ${version}`);
      await mkdir(dir, { recursive: true });
      await removeLeftovers();
      previous ??= await newestReadable();
      const newest = (await versionsOnDisk())[0];
      if (newest !== undefined && version <= newest) {
        throw new InvalidArgumentError('version', `${version} is not newer than ${publishedFolderName(newest)} already in ${dir}; versions only grow`);
      }
      const weights = options.policy.huggingFaceWeights();
      if (dtype === 'BF16') for (const [name, tensor] of weights) weights.set(name, { shape: tensor.shape, data: bf16Rounded(tensor.data) });
      const tensors: Record<string, string> = {};
      for (const name of [...weights.keys()].sort()) tensors[name] = float32Sha256((weights.get(name) as HostTensor).data);
      const base = mode === 'delta' ? previous : undefined;
      const written = base ? new Map([...weights].filter(([name]) => base.tensors[name] !== tensors[name])) : weights;
      const config = { ...options.policy.configJson(), ...(dtype === 'BF16' ? { torch_dtype: 'bfloat16' } : {}) };
      const configBytes = new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`);
      const meta: PublishedVersion = {
        format: PUBLISHED_WEIGHTS_FORMAT,
        version,
        kind: base ? 'delta' : 'full',
        ...(base ? { baseVersion: base.version } : {}),
        sha256: folderSha256(tensors, configBytes),
        tensors,
      };
      const final = join(dir, publishedFolderName(version));
      const temp = join(dir, `.${publishedFolderName(version)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
      ownTemp = temp;
      try {
        await mkdir(temp);
        await writeCheckpointTensors(temp, written, {
          dtype,
          ...(options.maxShardBytes === undefined ? {} : { maxShardBytes: options.maxShardBytes }),
        });
        await writeFileAtomic(join(temp, 'config.json'), configBytes);
        await writeJsonAtomic(join(temp, VERSION_FILE), meta);
        await rename(temp, final);
      } catch (error) {
        await rm(temp, { recursive: true, force: true });
        throw error;
      } finally {
        ownTemp = undefined;
      }
      previous = meta;
      const published = await describePublishedFolder(final, meta);
      await appendFile(join(dir, 'index.jsonl'), `${JSON.stringify({ ...published, publishedAt: new Date().toISOString() })}\n`);
      for (const old of (await versionsOnDisk()).slice(keep)) await rm(join(dir, publishedFolderName(old)), { recursive: true, force: true });
      return published;
    },
  };
}
