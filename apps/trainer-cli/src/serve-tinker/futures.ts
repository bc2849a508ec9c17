import { randomUUID } from 'node:crypto';

/** A settled future: its result body, or the failure message. */
export type FutureOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: string; readonly category: string };

interface FutureEntry {
  outcome: FutureOutcome | undefined;
  readonly settled: Promise<void>;
}

/**
 * In-memory Tinker futures: `submit` runs a job and returns its request id at once;
 * `retrieve` answers the outcome, waiting up to `waitMs` while it is pending (long-poll).
 * At most `maxSettled` settled futures are kept (oldest dropped first); pending ones are never dropped.
 */
export class FutureStore {
  private readonly entries = new Map<string, FutureEntry>();

  constructor(private readonly maxSettled = 4096) {}

  /** Start `job` (already queued by the caller) and return its request id. A thrown error becomes a failed future. */
  submit(job: Promise<unknown>): string {
    const id = `req-${randomUUID()}`;
    const entry: FutureEntry = {
      outcome: undefined,
      settled: job
        .then(
          (value) => {
            entry.outcome = { ok: true, value };
          },
          (error: unknown) => {
            entry.outcome = {
              ok: false,
              error: error instanceof Error ? error.message : String(error),
              category: categoryOf(error),
            };
          },
        )
        .then(() => this.evict()),
    };
    this.entries.set(id, entry);
    return id;
  }

  /** `undefined` when the id is unknown; `'pending'` when not settled within `waitMs`. */
  async retrieve(id: string, waitMs: number): Promise<FutureOutcome | 'pending' | undefined> {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (!entry.outcome && waitMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        entry.settled,
        new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs))),
      ]);
      clearTimeout(timer);
    }
    return entry.outcome ?? 'pending';
  }

  /** Resolves when every future submitted so far has settled. */
  async drain(): Promise<void> {
    await Promise.all([...this.entries.values()].map((entry) => entry.settled));
  }

  private evict(): void {
    let settled = [...this.entries].filter(([, entry]) => entry.outcome !== undefined);
    while (settled.length > this.maxSettled) {
      const [id] = settled[0] as [string, FutureEntry];
      this.entries.delete(id);
      settled = settled.slice(1);
    }
  }
}

/** Tinker's failure categories: `user` for bad input the client can fix, `server` otherwise. */
function categoryOf(error: unknown): string {
  return error instanceof UserInputError ? 'user' : 'server';
}

/** A request that is well-formed JSON but cannot be executed as asked (answered as a failed future with category `user`). */
export class UserInputError extends Error {}

/**
 * Runs jobs one after another per key (a model id): ops on one model execute in arrival order,
 * ops on different models may interleave. A failed job does not block the next.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Queue `job` behind the key's earlier jobs; the promise settles with the job. */
  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(job, job);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Resolves when every queued job has finished. */
  async drain(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
