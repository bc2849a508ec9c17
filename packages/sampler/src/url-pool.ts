import { InvalidArgumentError } from '@oreal-ts/core';

/** A held slot on one base URL; call `release()` exactly once. */
export interface UrlLease {
  readonly url: string;
  release(): void;
}

/**
 * Where an OpenAI sampler sends its requests: a pool of servers with bounded requests in flight.
 * `UrlPool` is the fixed-list default; a fleet with weight sync (`@oreal-ts/fleet`) implements it
 * to hand out only the servers that are up and hold the current policy version. URLs end in `/v1`.
 */
export interface SamplerServerPool {
  /** Wait for a free slot on an eligible server, avoiding `avoid` (the URL that just failed) when another has room. */
  acquire(avoid?: string): Promise<UrlLease>;
  /** A request to `url` failed at the transport level (refused, reset, timed out): the pool may take it out. */
  reportFailure?(url: string, reason: string): void;
  /** The URLs the pool may use (for error messages). */
  readonly urls: readonly string[];
}

/**
 * A pool of base URLs with at most `concurrencyPerUrl` requests in flight on each. `acquire` hands
 * out the least-loaded URL (ties: the one used longest ago, so load spreads round-robin), avoiding
 * `avoid` (the URL that just failed) while another has room; callers wait FIFO when all are full.
 */
export class UrlPool implements SamplerServerPool {
  private readonly inFlight: Map<string, number>;
  private readonly lastUsed = new Map<string, number>();
  private readonly waiters: (() => void)[] = [];
  private ticket = 0;

  constructor(
    readonly urls: readonly string[],
    readonly concurrencyPerUrl: number,
  ) {
    if (urls.length === 0) throw new InvalidArgumentError('baseUrls', 'give at least one base URL');
    if (!Number.isInteger(concurrencyPerUrl) || concurrencyPerUrl < 1) {
      throw new InvalidArgumentError(
        'concurrencyPerUrl',
        `must be a positive integer, got ${concurrencyPerUrl}`,
      );
    }
    this.inFlight = new Map(urls.map((u) => [u, 0]));
  }

  /** Requests in flight on `url` now. */
  load(url: string): number {
    return this.inFlight.get(url) ?? 0;
  }

  /** Wait for a free slot and take it. */
  async acquire(avoid?: string): Promise<UrlLease> {
    for (;;) {
      const url = this.pick(avoid);
      if (url !== undefined) {
        this.inFlight.set(url, this.load(url) + 1);
        this.lastUsed.set(url, ++this.ticket);
        let released = false;
        return {
          url,
          release: () => {
            if (released) return;
            released = true;
            this.inFlight.set(url, this.load(url) - 1);
            this.waiters.shift()?.();
          },
        };
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private pick(avoid: string | undefined): string | undefined {
    const free = this.urls.filter((u) => this.load(u) < this.concurrencyPerUrl);
    const preferred = free.length > 1 && avoid !== undefined ? free.filter((u) => u !== avoid) : free;
    let best: string | undefined;
    for (const u of preferred) {
      if (
        best === undefined ||
        this.load(u) < this.load(best) ||
        (this.load(u) === this.load(best) && (this.lastUsed.get(u) ?? 0) < (this.lastUsed.get(best) ?? 0))
      ) {
        best = u;
      }
    }
    return best;
  }
}
