import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { HttpRequestError, preview } from '@oreal-ts/core';
import type { z } from 'zod';
import { ErrorBodySchema, FailedFutureSchema, TryAgainResponseSchema, UntypedFutureSchema } from './wire';

/** What kind of failure a `TinkerRequestError` is. */
export type TinkerErrorKind = 'http' | 'network' | 'timeout' | 'failed' | 'invalid-response' | 'closed';

/**
 * A Tinker call failed for good: a non-retryable HTTP status, retries exhausted, the per-call
 * timeout, a failed future, or a response that does not match the documented shape. The message
 * names the op (and the `request_id` once known); the API key never appears in it.
 */
export class TinkerRequestError extends HttpRequestError {
  /** The op, e.g. `forward_backward`. */
  readonly op: string;
  /** The future's id, when the op returned one. */
  readonly requestId: string | undefined;
  readonly kind: TinkerErrorKind;
  constructor(url: string, status: number | undefined, op: string, requestId: string | undefined, kind: TinkerErrorKind, message: string) {
    super(url, status, `tinker ${op}${requestId === undefined ? '' : ` (request_id ${requestId})`}: ${message}`);
    this.op = op;
    this.requestId = requestId;
    this.kind = kind;
  }
}

/** Exponential back-off between retries. */
export interface TinkerBackoff {
  /** Delay before the first retry (before jitter). */
  readonly initialMs: number;
  /** Upper bound of one delay (a `Retry-After` may raise it up to the call's deadline). */
  readonly maxMs: number;
}

/** Settings of the transport (resolved from the service client's options). */
export interface TransportSettings {
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  readonly fetch: typeof globalThis.fetch;
  /** Overall limit of one call: a direct op, or a future from submission to result. */
  readonly timeoutMs: number;
  /** Limit of one HTTP attempt. */
  readonly requestTimeoutMs: number;
  /** Retries of one HTTP exchange after network errors and 5xx (429 is bounded by the deadline only). */
  readonly maxRetries: number;
  /** Wait between polls of a pending future. */
  readonly pollIntervalMs: number;
  readonly backoff: TinkerBackoff;
  readonly random: () => number;
}

/** Replace every occurrence of each secret with `[redacted]`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('[redacted]');
  return out;
}

/** `Retry-After` in ms (delta-seconds or HTTP date), or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** "Equal jitter" back-off for retry `attempt` (0-based): uniform in [d/2, d], d = min(maxMs, initialMs·2^attempt). */
export function backoffDelay(attempt: number, backoff: TinkerBackoff, random: () => number): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}

interface CallContext {
  readonly op: string;
  readonly deadline: number;
  requestId?: string;
}

type Exchange = { kind: 'ok'; value: unknown } | { kind: 'pending' };

/**
 * HTTP JSON transport of the Tinker API: `POST {base}/api/v1/<op>` with the `X-API-Key` header,
 * retries with exponential back-off and jitter on network errors and 5xx (at most `maxRetries`
 * in a row), `Retry-After` on 429, and futures polled through `retrieve_future` (408 or a
 * `try_again` body = still pending) until the call's deadline. `close()` aborts every wait.
 */
export class TinkerTransport {
  private readonly closer = new AbortController();

  constructor(private readonly settings: TransportSettings) {
    // Every concurrent wait listens on the close signal (32 sampling requests polling at once).
    setMaxListeners(0, this.closer.signal);
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.closer.signal.aborted;
  }

  /** Abort every in-flight request and wait; later calls fail with a `closed` error. */
  close(): void {
    this.closer.abort();
  }

  /** A direct op (no future): its answer validated by `schema`. */
  async direct<S extends z.ZodType>(op: string, method: 'GET' | 'POST', body: unknown, schema: S): Promise<z.output<S>> {
    const ctx: CallContext = { op, deadline: Date.now() + this.settings.timeoutMs };
    const answer = await this.exchange(ctx, method, op, body, false);
    return this.validate(ctx, answer.kind === 'ok' ? answer.value : undefined, schema);
  }

  /**
   * Submit a future-returning op and return its `request_id` (`onSubmitted` resolves then).
   * `awaitFuture` polls it. Split so callers can serialise submissions and poll concurrently.
   */
  async submit(op: string, body: unknown): Promise<{ requestId: string; deadline: number }> {
    const ctx: CallContext = { op, deadline: Date.now() + this.settings.timeoutMs };
    const answer = await this.exchange(ctx, 'POST', op, body, false);
    const future = this.validate(ctx, answer.kind === 'ok' ? answer.value : undefined, UntypedFutureSchema);
    return { requestId: future.request_id, deadline: ctx.deadline };
  }

  /** Poll `retrieve_future` until the result arrives (validated by `schema`), it fails, or the deadline passes. */
  async awaitFuture<S extends z.ZodType>(op: string, requestId: string, deadline: number, schema: S): Promise<z.output<S>> {
    const ctx: CallContext = { op, deadline, requestId };
    for (;;) {
      const answer = await this.exchange(ctx, 'POST', 'retrieve_future', { request_id: requestId }, true);
      if (answer.kind === 'ok') {
        const value = answer.value;
        if (TryAgainResponseSchema.safeParse(value).success) {
          await this.wait(ctx, this.settings.pollIntervalMs);
          continue;
        }
        const failed = FailedFutureSchema.safeParse(value);
        if (failed.success && isFailureOnly(value)) {
          const category = failed.data.category ? ` [${failed.data.category}]` : '';
          throw this.error(ctx, 200, 'failed', `the request failed${category}: ${failed.data.error}`);
        }
        return this.validate(ctx, value, schema);
      }
      await this.wait(ctx, this.settings.pollIntervalMs);
    }
  }

  /** Submit and await a future-returning op. */
  async future<S extends z.ZodType>(op: string, body: unknown, schema: S): Promise<z.output<S>> {
    const { requestId, deadline } = await this.submit(op, body);
    return this.awaitFuture(op, requestId, deadline, schema);
  }

  private url(path: string): string {
    return `${this.settings.baseUrl}/api/v1/${path}`;
  }

  private error(ctx: CallContext, status: number | undefined, kind: TinkerErrorKind, message: string): TinkerRequestError {
    return new TinkerRequestError(this.settings.baseUrl, status, ctx.op, ctx.requestId, kind, redact(message, [this.settings.apiKey]));
  }

  private validate<S extends z.ZodType>(ctx: CallContext, value: unknown, schema: S): z.output<S> {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const field = issue?.path.map(String).join('.') || '(body)';
    throw this.error(ctx, 200, 'invalid-response', `invalid response body: field '${field}': ${issue?.message ?? 'invalid'} (got ${preview(valueAt(value, issue?.path ?? []))})`);
  }

  private async wait(ctx: CallContext, ms: number): Promise<void> {
    const left = ctx.deadline - Date.now();
    if (left <= 0 || ms > left) {
      throw this.error(ctx, undefined, 'timeout', `timed out after ${this.settings.timeoutMs} ms${ctx.requestId === undefined ? '' : ' waiting for the result'}`);
    }
    try {
      await delay(ms, undefined, { signal: this.closer.signal });
    } catch {
      throw this.error(ctx, undefined, 'closed', 'the service client was closed');
    }
  }

  /** One HTTP exchange with retries. `pendingOk`: a 408 means "pending" (polling), not an error. */
  private async exchange(ctx: CallContext, method: 'GET' | 'POST', path: string, body: unknown, pendingOk: boolean): Promise<Exchange> {
    let failures = 0;
    let rateLimited = 0;
    for (;;) {
      if (this.closed) throw this.error(ctx, undefined, 'closed', 'the service client was closed');
      if (Date.now() >= ctx.deadline) throw this.error(ctx, undefined, 'timeout', `timed out after ${this.settings.timeoutMs} ms`);
      let response: { status: number; retryAfter: string | null; text: string };
      try {
        response = await this.send(ctx, method, path, body);
      } catch (cause) {
        if (this.closed) throw this.error(ctx, undefined, 'closed', 'the service client was closed');
        if (Date.now() >= ctx.deadline) throw this.error(ctx, undefined, 'timeout', `timed out after ${this.settings.timeoutMs} ms`);
        const reason = cause instanceof Error ? cause.message : String(cause);
        if (failures >= this.settings.maxRetries) {
          throw this.error(ctx, undefined, 'network', `${path}: network error after ${failures + 1} attempts: ${reason}`);
        }
        await this.wait(ctx, Math.min(backoffDelay(failures, this.settings.backoff, this.settings.random), Math.max(0, ctx.deadline - Date.now() - 1)));
        failures += 1;
        continue;
      }
      const { status } = response;
      if (status >= 200 && status < 300) {
        try {
          return { kind: 'ok', value: response.text === '' ? {} : JSON.parse(response.text) };
        } catch {
          throw this.error(ctx, status, 'invalid-response', `${path}: response is not JSON (got ${preview(response.text)})`);
        }
      }
      if (status === 408 && pendingOk) return { kind: 'pending' };
      if (status === 429) {
        const retryAfter = parseRetryAfter(response.retryAfter) ?? backoffDelay(rateLimited, this.settings.backoff, this.settings.random);
        rateLimited += 1;
        await this.wait(ctx, retryAfter);
        continue;
      }
      if (status >= 500 || status === 408) {
        if (failures >= this.settings.maxRetries) {
          throw this.error(ctx, status, 'http', `${path}: ${serverMessage(response.text)} (after ${failures + 1} attempts)`);
        }
        await this.wait(ctx, Math.min(backoffDelay(failures, this.settings.backoff, this.settings.random), Math.max(0, ctx.deadline - Date.now() - 1)));
        failures += 1;
        continue;
      }
      const expired = status === 410 ? 'the future expired or was lost: ' : '';
      throw this.error(ctx, status, 'http', `${path}: ${expired}${serverMessage(response.text)}`);
    }
  }

  private async send(ctx: CallContext, method: 'GET' | 'POST', path: string, body: unknown): Promise<{ status: number; retryAfter: string | null; text: string }> {
    const attempt = new AbortController();
    const limit = Math.max(1, Math.min(this.settings.requestTimeoutMs, ctx.deadline - Date.now()));
    const timer = setTimeout(() => attempt.abort(new Error(`no response within ${limit} ms`)), limit);
    try {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (method === 'POST') headers['content-type'] = 'application/json';
      if (this.settings.apiKey) headers['x-api-key'] = this.settings.apiKey;
      const response = await this.settings.fetch(this.url(path), {
        method,
        headers,
        ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
        signal: AbortSignal.any([attempt.signal, this.closer.signal]),
      });
      const text = await response.text();
      return { status: response.status, retryAfter: response.headers.get('retry-after'), text };
    } catch (cause) {
      if (attempt.signal.aborted && attempt.signal.reason instanceof Error) throw attempt.signal.reason;
      throw cause;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A failure body: an `error` string and none of the payload fields a result would carry. */
function isFailureOnly(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const keys = Object.keys(value).filter((key) => !['type', 'error', 'category', 'request_id', 'detail'].includes(key));
  return keys.length === 0;
}

/** The human message of an error body (`error`/`detail`), else its first 200 characters. */
function serverMessage(text: string): string {
  try {
    const parsed = ErrorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) {
      const { error, detail } = parsed.data as { error?: unknown; detail?: unknown };
      for (const candidate of [error, detail]) {
        if (typeof candidate === 'string') return candidate;
        if (candidate !== undefined) return preview(candidate);
      }
    }
  } catch {
    // not JSON: fall through
  }
  return text.length > 200 ? `${text.slice(0, 197)}...` : text || 'empty body';
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
