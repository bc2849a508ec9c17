import { HttpRequestError } from '@oreal-ts/core';
import { ErrorBodySchema } from './openai-schemas';
import type { SamplerServerPool } from './url-pool';

/** Exponential back-off between retries. */
export interface BackoffOptions {
  /** Delay before the first retry (before jitter). Default 250 ms. */
  readonly initialMs: number;
  /** Upper bound of any delay, `Retry-After` included. Default 10,000 ms. */
  readonly maxMs: number;
}

/** Settings of `postJsonWithRetry`. */
export interface RetrySettings {
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** Per-attempt time limit (connect, response and body). */
  readonly timeoutMs: number;
  readonly backoff: BackoffOptions;
  /** The fetch implementation (injected in tests). */
  readonly fetch: typeof globalThis.fetch;
  /** Extra request headers (the Authorization header lives here and is never echoed). */
  readonly headers: Readonly<Record<string, string>>;
  /** Secrets to blank out of every error message (the API key). */
  readonly secrets: readonly string[];
  /** Aborts waiting and in-flight attempts (another request of the same call failed for good). */
  readonly signal?: AbortSignal;
  /** Called before each retry, for logging (`url`, attempt number, why). Never receives secrets. */
  readonly onRetry?: (info: {
    url: string;
    attempt: number;
    status: number | undefined;
    reason: string;
    delayMs: number;
  }) => void;
  /** Random source for jitter; default `Math.random`. */
  readonly random?: () => number;
}

/** What one attempt produced. */
type AttemptResult =
  | { kind: 'ok'; value: unknown }
  | { kind: 'retry'; status: number | undefined; reason: string; retryAfterMs?: number; transport?: boolean }
  | { kind: 'fatal'; status: number | undefined; reason: string };

/**
 * Delay before retry number `attempt` (0-based): "equal jitter" exponential back-off,
 * `d = min(maxMs, initialMs · 2^attempt)`, uniform in [d/2, d]; a server's `Retry-After` raises it
 * (never above `maxMs`).
 */
export function backoffDelay(
  attempt: number,
  backoff: BackoffOptions,
  random: () => number,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt);
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return Math.min(backoff.maxMs, Math.max(jittered, retryAfterMs ?? 0));
}

/** `Retry-After` in ms (delta-seconds or HTTP date), or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Statuses worth retrying: rate limiting, request timeout, and every server error. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/** Replace every occurrence of each secret with `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('[redacted]');
  return out;
}

/** The human message inside an error body, else the body's first 300 characters. */
function serverMessage(body: string): string {
  try {
    const parsed = ErrorBodySchema.safeParse(JSON.parse(body));
    if (parsed.success) {
      const data = parsed.data as { error?: unknown; message?: unknown; detail?: unknown };
      if (typeof data.error === 'string') return data.error;
      if (data.error && typeof (data.error as { message?: unknown }).message === 'string')
        return (data.error as { message: string }).message;
      if (typeof data.message === 'string') return data.message;
      if (data.detail !== undefined)
        return typeof data.detail === 'string' ? data.detail : JSON.stringify(data.detail);
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  const text = body.trim();
  return text === '' ? 'empty response body' : text.slice(0, 300);
}

/** Name a network-level failure (reset, refused, timeout) from fetch's error and its causes. */
function describeNetworkError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return `timed out after ${timeoutMs} ms`;
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${current.message} (${code})` : current.message);
    current = current.cause;
  }
  return parts.length > 0 ? `connection failed: ${parts.join(': ')}` : `connection failed: ${String(error)}`;
}

async function attempt(
  url: string,
  body: string,
  settings: RetrySettings,
  validate: (value: unknown) => string | undefined,
): Promise<AttemptResult> {
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  const signal = settings.signal ? AbortSignal.any([timeout, settings.signal]) : timeout;
  let response: Response;
  let text: string;
  try {
    response = await settings.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...settings.headers },
      body,
      signal,
    });
    text = await response.text();
  } catch (error) {
    if (settings.signal?.aborted) return { kind: 'fatal', status: undefined, reason: 'cancelled' };
    return {
      kind: 'retry',
      status: undefined,
      reason: describeNetworkError(
        timeout.aborted ? Object.assign(new Error('timeout'), { name: 'TimeoutError' }) : error,
        settings.timeoutMs,
      ),
      transport: true,
    };
  }
  if (!response.ok) {
    const reason = serverMessage(text);
    if (isRetryableStatus(response.status)) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      return {
        kind: 'retry',
        status: response.status,
        reason,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      };
    }
    return { kind: 'fatal', status: response.status, reason };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // A body cut short by a dropped connection parses badly: retry it.
    return { kind: 'retry', status: response.status, reason: `response is not JSON: ${text.slice(0, 120)}` };
  }
  const problem = validate(value);
  if (problem !== undefined)
    return { kind: 'retry', status: response.status, reason: `unexpected response: ${problem}` };
  return { kind: 'ok', value };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * POST `body` (or `body(baseUrl)`, built per server) to `path` on a base URL from `pool`, retrying on 429/408/5xx, connection errors,
 * timeouts, and 2xx bodies that fail `validate` (which returns a problem description or undefined),
 * with exponential back-off and jitter; a retry prefers another base URL, and a transport failure
 * (refused, reset, timeout) is reported to the pool first. Any other 4xx fails at once with the
 * server's message. Failures throw `HttpRequestError(url, lastStatus, …)` with every
 * secret redacted.
 */
export async function postJsonWithRetry(
  pool: SamplerServerPool,
  path: string,
  body: unknown | ((baseUrl: string) => unknown),
  settings: RetrySettings,
  validate: (value: unknown) => string | undefined,
): Promise<{ url: string; baseUrl: string; value: unknown }> {
  const fixed = typeof body === 'function' ? undefined : JSON.stringify(body);
  const random = settings.random ?? Math.random;
  let lastUrl: string | undefined;
  let last: { status: number | undefined; reason: string } = { status: undefined, reason: 'not attempted' };
  for (let attemptIndex = 0; attemptIndex <= settings.maxRetries; attemptIndex++) {
    if (settings.signal?.aborted) break;
    const lease = await pool.acquire(lastUrl);
    const url = `${lease.url}${path}`;
    let result: AttemptResult;
    try {
      const payload = fixed ?? JSON.stringify((body as (baseUrl: string) => unknown)(lease.url));
      result = await attempt(url, payload, settings, validate);
    } finally {
      lease.release();
    }
    lastUrl = lease.url;
    if (result.kind === 'ok') return { url, baseUrl: lease.url, value: result.value };
    last = { status: result.status, reason: redact(result.reason, settings.secrets) };
    if (result.kind === 'retry' && result.transport) pool.reportFailure?.(lease.url, last.reason);
    if (result.kind === 'fatal') throw new HttpRequestError(url, result.status, last.reason);
    if (attemptIndex === settings.maxRetries) {
      throw new HttpRequestError(
        url,
        last.status,
        `gave up after ${attemptIndex + 1} attempts; last error: ${last.reason}`,
      );
    }
    const delayMs = backoffDelay(attemptIndex, settings.backoff, random, result.retryAfterMs);
    settings.onRetry?.({ url, attempt: attemptIndex + 1, status: last.status, reason: last.reason, delayMs });
    await sleep(delayMs, settings.signal);
  }
  throw new HttpRequestError(
    `${lastUrl ?? pool.urls[0]}${path}`,
    last.status,
    `cancelled; last error: ${last.reason}`,
  );
}
