import {
  InvalidArgumentError,
  OrealError,
  WeightSyncError,
  type PublishedWeights,
  type WeightSync,
  type WeightSyncReport,
  type WeightSyncTarget,
} from '@oreal-ts/core';

/** Where the fleet writes its membership changes (a server leaving, dropping out, rejoining). */
export interface FleetLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** Options of `createFleet`. */
export interface FleetOptions {
  /** One weight-sync target per server (`createOrealServeTarget`, `createSglangTarget`, `createVllmLoraTarget`). */
  readonly targets: readonly WeightSyncTarget[];
  /** Requests in flight per server. Default 8. */
  readonly concurrencyPerServer?: number;
  /** How often servers that dropped out are probed. Default 1000 ms. */
  readonly probeIntervalMs?: number;
  /**
   * How many versions behind the current one a server may be and still get requests. Default 0
   * (sync: only servers that confirmed the current version sample). The async schedule sets its
   * `maxStaleness` here.
   */
  readonly maxVersionLag?: number;
  /** Membership log lines. Default: `console.warn` for warnings, silent otherwise. */
  readonly logger?: FleetLogger;
}

/** One server's state. `left`: it failed to load weights and gets no more work or weights. */
export type MemberState = 'up' | 'down' | 'syncing' | 'left';

/** What `status()` reports per server. */
export interface MemberStatus {
  readonly baseUrl: string;
  readonly state: MemberState;
  /** The version it confirmed last; undefined before its first load. */
  readonly version: number | undefined;
  readonly inFlight: number;
  /** Why it left or is down. */
  readonly reason?: string;
}

/** A held request slot on one server (`url` ends in `/v1`). */
export interface FleetLease {
  readonly url: string;
  release(): void;
}

/**
 * A pool of inference servers with weight sync: a core `WeightSync` (the trainer publishes through
 * it) and the server pool an OpenAI sampler draws from (`pool` option of `createOpenAISampler`).
 */
export interface Fleet extends WeightSync {
  /** Every server's `/v1` URL, in the order given. */
  readonly urls: readonly string[];
  /** A free slot on a server that is up and at an accepted version (waits for one; rejects when every server left). */
  acquire(avoid?: string): Promise<FleetLease>;
  /** A request to `url` failed at the transport level: the server is marked down until a probe finds it again. */
  reportFailure(url: string, reason: string): void;
  /** The policy version behind a response `url` answered, read by that server's target. */
  versionOfResponse(url: string, body: unknown): number | undefined;
  /** The `model` requests to `url` must name, when its target decides it (vLLM adapters); else undefined. */
  modelFor(url: string): string | undefined;
  status(): MemberStatus[];
  /** Stop probing and reject waiting `acquire` calls. Safe to call twice. */
  close(): void;
}

interface Member {
  readonly target: WeightSyncTarget & { requestModel?: () => string | undefined };
  readonly url: string;
  state: MemberState;
  version: number | undefined;
  inFlight: number;
  lastUsed: number;
  reason?: string;
  /** A probe or load is running for it. */
  busy: boolean;
}

/** Whether a weight-sync failure came from the transport (the server is unreachable) rather than from the server's answer. */
function isTransportFailure(error: unknown): boolean {
  return error instanceof Error && error.cause !== undefined;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A fleet over `targets`. Servers start `down` with an unknown version: the first `sync` (the
 * trainer publishes its start weights before the first step) loads every reachable server, and
 * until then no server gets requests. Membership rules:
 * - `sync(w)`: every server that is up (or down, tried once) loads `w` in parallel; a server that
 *   answers the load with a failure leaves the pool (`fleet: <url> left the pool: <reason>`); an
 *   unreachable one is marked down. Resolves when every live server confirmed; rejects with
 *   `WeightSyncError` when no server confirmed.
 * - `reportFailure(url)` (the sampler saw a refused/reset/timed-out request) marks it down; a
 *   probe every `probeIntervalMs` asks down servers for their version and brings one that answers
 *   to the current version before it gets work again (`fleet: <url> rejoined at version v`).
 * - `acquire` hands out the least-loaded eligible server (ties: the one used longest ago).
 */
export function createFleet(options: FleetOptions): Fleet {
  if (options.targets.length === 0) throw new InvalidArgumentError('targets', 'give at least one server');
  const concurrency = options.concurrencyPerServer ?? 8;
  const probeIntervalMs = options.probeIntervalMs ?? 1000;
  const maxVersionLag = options.maxVersionLag ?? 0;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new InvalidArgumentError('concurrencyPerServer', `must be a positive integer, got ${concurrency}`);
  if (!Number.isInteger(maxVersionLag) || maxVersionLag < 0)
    throw new InvalidArgumentError('maxVersionLag', `must be an integer ≥ 0, got ${maxVersionLag}`);
  const logger: FleetLogger = options.logger ?? { info: () => undefined, warn: (m) => console.warn(m) };
  const members: Member[] = options.targets.map((target) => ({
    target,
    url: `${target.baseUrl.replace(/\/+$/, '')}/v1`,
    state: 'down',
    version: undefined,
    inFlight: 0,
    lastUsed: 0,
    busy: false,
  }));
  const byUrl = new Map(members.map((m) => [m.url, m]));
  if (byUrl.size !== members.length)
    throw new InvalidArgumentError('targets', 'two targets have the same base URL');
  let current: PublishedWeights | undefined;
  let ticket = 0;
  let closed = false;
  const waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  let probeTimer: ReturnType<typeof setInterval> | undefined;

  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter.resolve();
  };
  const eligible = (m: Member) =>
    m.state === 'up' &&
    m.inFlight < concurrency &&
    (current === undefined
      ? m.version === undefined
      : m.version !== undefined && current.version - m.version <= maxVersionLag);

  const leave = (m: Member, reason: string) => {
    if (m.state === 'left') return;
    m.state = 'left';
    m.reason = reason;
    logger.warn(`fleet: ${m.target.baseUrl} left the pool: ${reason}`);
    wake();
  };
  const markDown = (m: Member, reason: string) => {
    if (m.state === 'left' || m.state === 'down') return;
    m.state = 'down';
    m.reason = reason;
    logger.warn(`fleet: ${m.target.baseUrl} is down (${reason}); probing every ${probeIntervalMs} ms`);
    ensureProbe();
    wake();
  };

  /** Load `weights` on one member; resolves true when it confirmed. */
  const load = async (m: Member, weights: PublishedWeights): Promise<boolean> => {
    m.busy = true;
    const before = m.state;
    m.state = 'syncing';
    try {
      const version = await m.target.loadWeights(weights);
      if (closed) return false;
      m.version = version;
      m.state = 'up';
      delete m.reason;
      if (before === 'down') logger.info(`fleet: ${m.target.baseUrl} rejoined at version ${version}`);
      return true;
    } catch (error) {
      if (isTransportFailure(error)) {
        m.state = before === 'left' ? 'left' : 'up';
        markDown(m, reasonOf(error));
      } else {
        leave(m, reasonOf(error));
      }
      return false;
    } finally {
      m.busy = false;
      wake();
    }
  };

  const probe = async (m: Member) => {
    m.busy = true;
    let version: number | undefined;
    try {
      version = await m.target.loadedVersion();
    } catch {
      m.busy = false;
      return; // still unreachable
    }
    m.busy = false;
    if (closed || m.state !== 'down') return;
    if (current === undefined || version === current.version) {
      m.version = version;
      m.state = 'up';
      delete m.reason;
      logger.info(`fleet: ${m.target.baseUrl} rejoined at version ${String(version)}`);
      wake();
      return;
    }
    await load(m, current);
  };

  function ensureProbe() {
    if (probeTimer !== undefined || closed) return;
    probeTimer = setInterval(() => {
      const down = members.filter((m) => m.state === 'down' && !m.busy);
      if (members.every((m) => m.state !== 'down')) {
        clearInterval(probeTimer);
        probeTimer = undefined;
        return;
      }
      for (const m of down) void probe(m);
    }, probeIntervalMs);
    probeTimer.unref?.();
  }

  const pick = (avoid: string | undefined): Member | undefined => {
    const free = members.filter(eligible);
    const preferred = free.length > 1 && avoid !== undefined ? free.filter((m) => m.url !== avoid) : free;
    let best: Member | undefined;
    for (const m of preferred) {
      if (!best || m.inFlight < best.inFlight || (m.inFlight === best.inFlight && m.lastUsed < best.lastUsed))
        best = m;
    }
    return best;
  };

  return {
    urls: members.map((m) => m.url),
    get currentVersion() {
      return current?.version;
    },
    async sync(weights: PublishedWeights): Promise<WeightSyncReport> {
      if (closed) throw new OrealError('INVALID_ARGUMENT', 'fleet: sync after close()');
      const started = performance.now();
      current = weights;
      wake();
      const candidates = members.filter((m) => m.state !== 'left');
      const results = await Promise.all(candidates.map(async (m) => ({ m, ok: await load(m, weights) })));
      const confirmed = results.filter((r) => r.ok).map((r) => r.m.target.baseUrl);
      const failed = results
        .filter((r) => !r.ok && r.m.state === 'left')
        .map((r) => ({ baseUrl: r.m.target.baseUrl, reason: r.m.reason ?? 'failed' }));
      if (confirmed.length === 0) {
        const reasons = results.map((r) => `${r.m.target.baseUrl}: ${r.m.reason ?? 'failed'}`).join('; ');
        throw new WeightSyncError(
          members.map((m) => m.target.baseUrl).join(', '),
          weights.version,
          `no server confirmed the version (${reasons || 'every server left the pool'})`,
        );
      }
      return { version: weights.version, confirmed, failed, seconds: (performance.now() - started) / 1000 };
    },
    async acquire(avoid?: string): Promise<FleetLease> {
      for (;;) {
        if (closed) throw new OrealError('INVALID_ARGUMENT', 'fleet: closed');
        if (members.every((m) => m.state === 'left')) {
          throw new WeightSyncError(
            members.map((m) => m.target.baseUrl).join(', '),
            current?.version ?? 0,
            `every server left the pool (${members.map((m) => m.reason).join('; ')})`,
          );
        }
        const m = pick(avoid);
        if (m) {
          m.inFlight++;
          m.lastUsed = ++ticket;
          let released = false;
          return {
            url: m.url,
            release: () => {
              if (released) return;
              released = true;
              m.inFlight--;
              wake();
            },
          };
        }
        await new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
      }
    },
    reportFailure(url: string, reason: string) {
      const m = byUrl.get(url);
      if (m && m.state === 'up') markDown(m, reason);
    },
    versionOfResponse(url: string, body: unknown) {
      return byUrl.get(url)?.target.versionOfResponse(body);
    },
    modelFor(url: string) {
      return byUrl.get(url)?.target.requestModel?.();
    },
    status() {
      return members.map((m) => ({
        baseUrl: m.target.baseUrl,
        state: m.state,
        version: m.version,
        inFlight: m.inFlight,
        ...(m.reason ? { reason: m.reason } : {}),
      }));
    },
    close() {
      if (closed) return;
      closed = true;
      if (probeTimer !== undefined) clearInterval(probeTimer);
      probeTimer = undefined;
      for (const waiter of waiters.splice(0))
        waiter.reject(new OrealError('INVALID_ARGUMENT', 'fleet: closed'));
    },
  };
}
