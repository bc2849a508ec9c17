import type { Policy, Tokenizer } from '@oreal-ts/core';
import {
  generateSequences,
  type GeneratedSequence,
  type GenerationRequest,
  type GenerationSettings,
} from '@oreal-ts/sampler';

/** The weights version that decoded a batch: a number, or null for weights no publisher wrote. */
export type WeightVersion = number | null;

/** Sequences of one request and the weights version of the batch that decoded them. */
export interface DecodedRows {
  readonly sequences: GeneratedSequence[];
  readonly weightVersion: WeightVersion;
}

interface Job {
  readonly kind: 'rows';
  readonly rows: readonly GenerationRequest[];
  resolve(result: DecodedRows): void;
  reject(error: unknown): void;
}

/** An exclusive task between batches (a weight load) that yields the new version. */
interface Load {
  readonly kind: 'load';
  readonly task: (current: WeightVersion) => Promise<WeightVersion>;
  resolve(version: WeightVersion): void;
  reject(error: unknown): void;
}

/**
 * Batches rows across concurrent HTTP requests: while the model decodes one batch, new requests
 * queue; when it is free, queued requests are taken in arrival order until `batchSize` rows are
 * reached (a request bigger than that goes alone and is split), and decoded together — each row
 * with its own settings and random stream, so a request's result does not depend on its
 * neighbours beyond floating-point effects of padding. One decode runs at a time.
 *
 * Weight loads (`load`) queue in the same line: a load waits for the batch being decoded, runs
 * alone, and requests queued behind it decode with the new weights. Every result carries the
 * version that decoded it (the version current when its batch started).
 */
export function createRequestBatcher(
  policy: Policy,
  tokenizer: Tokenizer,
  batchSize: number,
  initialVersion: WeightVersion = null,
) {
  const queue: (Job | Load)[] = [];
  let running = false;
  let version: WeightVersion = initialVersion;

  const drain = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      while (queue.length > 0) {
        // Decoding resolves through microtasks only (the tfjs backends answer `data()` without I/O),
        // so requests that arrived meanwhile are still unparsed in the socket buffers: give the
        // event loop ~2 ms to read them before taking the next batch.
        await new Promise<void>((resolve) => setTimeout(resolve, 2));
        await new Promise<void>((resolve) => setImmediate(resolve));
        const first = queue.shift() as Job | Load;
        if (first.kind === 'load') {
          try {
            version = await first.task(version);
            first.resolve(version);
          } catch (error) {
            first.reject(error);
          }
          continue;
        }
        const jobs: Job[] = [first];
        let rows = first.rows.length;
        while (queue.length > 0 && queue[0]?.kind === 'rows' && rows + queue[0].rows.length <= batchSize) {
          const job = queue.shift() as Job;
          rows += job.rows.length;
          jobs.push(job);
        }
        const all = jobs.flatMap((job) => job.rows);
        const fallback = all[0]?.settings as GenerationSettings; // every row carries its own settings
        const batchVersion = version;
        try {
          const sequences = await generateSequences(policy, tokenizer, all, fallback, batchSize);
          let offset = 0;
          for (const job of jobs) {
            job.resolve({
              sequences: sequences.slice(offset, offset + job.rows.length),
              weightVersion: batchVersion,
            });
            offset += job.rows.length;
          }
        } catch (error) {
          for (const job of jobs) job.reject(error);
        }
      }
    } finally {
      running = false;
    }
  };

  return {
    /** Decode `rows` (each with `settings`) as soon as the model is free, batched with other requests. */
    generate(rows: readonly (GenerationRequest & { settings: GenerationSettings })[]): Promise<DecodedRows> {
      return new Promise((resolve, reject) => {
        queue.push({ kind: 'rows', rows, resolve, reject });
        void drain();
      });
    },
    /**
     * Run `task` alone once the batch being decoded finished (requests queued after it wait);
     * its result becomes the version of later batches. A rejected task keeps the old version.
     */
    load(task: (current: WeightVersion) => Promise<WeightVersion>): Promise<WeightVersion> {
      return new Promise((resolve, reject) => {
        queue.push({ kind: 'load', task, resolve, reject });
        void drain();
      });
    },
    /** The version of the weights the next batch decodes with. */
    get weightVersion(): WeightVersion {
      return version;
    },
    /** Rows waiting for the model. */
    get pendingRows(): number {
      return queue.reduce((s, job) => s + (job.kind === 'rows' ? job.rows.length : 0), 0);
    },
  };
}
