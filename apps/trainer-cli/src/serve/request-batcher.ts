import type { Policy, Tokenizer } from '@oreal-ts/core';
import { generateSequences, type GeneratedSequence, type GenerationRequest, type GenerationSettings } from '@oreal-ts/sampler';

interface Job {
  readonly rows: readonly GenerationRequest[];
  resolve(sequences: GeneratedSequence[]): void;
  reject(error: unknown): void;
}

/**
 * Batches rows across concurrent HTTP requests: while the model decodes one batch, new requests
 * queue; when it is free, queued requests are taken in arrival order until `batchSize` rows are
 * reached (a request bigger than that goes alone and is split), and decoded together — each row
 * with its own settings and random stream, so a request's result does not depend on its
 * neighbours beyond floating-point effects of padding. One decode runs at a time.
 */
export function createRequestBatcher(policy: Policy, tokenizer: Tokenizer, batchSize: number) {
  const queue: Job[] = [];
  let running = false;

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
        const jobs: Job[] = [queue.shift() as Job];
        let rows = jobs[0]?.rows.length ?? 0;
        while (queue.length > 0 && rows + (queue[0] as Job).rows.length <= batchSize) {
          const job = queue.shift() as Job;
          rows += job.rows.length;
          jobs.push(job);
        }
        const all = jobs.flatMap((job) => job.rows);
        const fallback = all[0]?.settings as GenerationSettings; // every row carries its own settings
        try {
          const sequences = await generateSequences(policy, tokenizer, all, fallback, batchSize);
          let offset = 0;
          for (const job of jobs) {
            job.resolve(sequences.slice(offset, offset + job.rows.length));
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
    generate(rows: readonly (GenerationRequest & { settings: GenerationSettings })[]): Promise<GeneratedSequence[]> {
      return new Promise((resolve, reject) => {
        queue.push({ rows, resolve, reject });
        void drain();
      });
    },
    /** Rows waiting for the model. */
    get pendingRows(): number {
      return queue.reduce((s, job) => s + job.rows.length, 0);
    },
  };
}
