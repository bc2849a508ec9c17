import { z } from 'zod';
import { WeightSyncError, formatIssues } from '@oreal-ts/core';

/** How a target talks HTTP (injected in tests). */
export interface HttpOptions {
  /** fetch implementation. Default `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  /** Per-request time limit. Default 600,000 ms for loads (a big checkpoint takes a while), 10,000 ms for probes. */
  readonly timeoutMs?: number;
}

/** The answer of one request: status and parsed JSON body (undefined when the body is not JSON). */
export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

/** Send one JSON request (GET without body, POST with one); network errors and timeouts reject with the cause named. */
export async function requestJson(
  url: string,
  init: {
    readonly method: 'GET' | 'POST';
    readonly body?: unknown;
    readonly timeoutMs: number;
    readonly signal?: AbortSignal;
    readonly fetch?: typeof globalThis.fetch;
  },
): Promise<JsonAnswer> {
  const timeout = AbortSignal.timeout(init.timeoutMs);
  const signal = init.signal ? AbortSignal.any([timeout, init.signal]) : timeout;
  const fetchImpl = init.fetch ?? globalThis.fetch;
  let response: Response;
  let text: string;
  try {
    response = await fetchImpl(url, {
      method: init.method,
      headers: {
        accept: 'application/json',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal,
    });
    text = await response.text();
  } catch (error) {
    if (timeout.aborted)
      throw new Error(`${init.method} ${url} timed out after ${init.timeoutMs} ms`, { cause: error });
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new Error(
      `${init.method} ${url} failed: ${error instanceof Error ? error.message : String(error)}${cause}`,
      { cause: error },
    );
  }
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text };
}

const ErrorBody = z.union([
  z.looseObject({ error: z.union([z.looseObject({ message: z.string() }), z.string()]) }),
  z.looseObject({ message: z.string() }),
  z.looseObject({ detail: z.unknown() }),
]);

/** The server's own words from an error answer (OpenAI `{error:{message}}`, FastAPI `{detail}`, `{message}`), else its first 300 characters. */
export function errorMessage(answer: JsonAnswer): string {
  const parsed = ErrorBody.safeParse(answer.body);
  if (parsed.success) {
    const data = parsed.data as { error?: unknown; message?: unknown; detail?: unknown };
    if (typeof data.error === 'string') return data.error;
    if (data.error && typeof (data.error as { message?: unknown }).message === 'string')
      return (data.error as { message: string }).message;
    if (typeof data.message === 'string') return data.message;
    if (data.detail !== undefined)
      return typeof data.detail === 'string' ? data.detail : JSON.stringify(data.detail);
  }
  const text = answer.text.trim();
  return text === '' ? `HTTP ${answer.status} with an empty body` : text.slice(0, 300);
}

/** Parse a 2xx body with `schema`; a wrong shape is a `WeightSyncError` naming the field. */
export function parseAnswer<S extends z.ZodType>(
  schema: S,
  answer: JsonAnswer,
  baseUrl: string,
  version: number,
  what: string,
): z.output<S> {
  const parsed = schema.safeParse(answer.body);
  if (!parsed.success)
    throw new WeightSyncError(
      baseUrl,
      version,
      `${what} answered an unexpected body: ${formatIssues(parsed.error.issues).slice(0, 3).join('; ')}`,
    );
  return parsed.data;
}

/** A version written as an integer, or as a decimal string (SGLang keeps versions as strings); anything else is undefined. */
export function parseVersion(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && /^(0|[1-9]\d*)$/.test(value)) return Number(value);
  return undefined;
}

/** Strip slashes and a trailing `/v1`: targets take the server root. */
export function serverRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** Where and how long a target's requests go. */
export interface TargetCall {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly fetch?: typeof globalThis.fetch | undefined;
}

/**
 * POST a weight-load request; a transport failure (unreachable, reset, timeout) becomes a
 * `WeightSyncError` whose `cause` is set — the mark the fleet reads to tell "down" from "refused".
 * The answer is returned whatever its status.
 */
export async function postLoad(
  call: TargetCall,
  path: string,
  body: unknown,
  version: number,
): Promise<JsonAnswer> {
  try {
    return await requestJson(`${call.baseUrl}${path}`, {
      method: 'POST',
      body,
      timeoutMs: call.timeoutMs,
      ...(call.signal ? { signal: call.signal } : {}),
      ...(call.fetch ? { fetch: call.fetch } : {}),
    });
  } catch (error) {
    throw new WeightSyncError(call.baseUrl, version, error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
}

/** GET `path` and return its JSON body; any status but 200 throws naming the URL and the server's words. */
export async function getJson(call: TargetCall, path: string): Promise<unknown> {
  const answer = await requestJson(`${call.baseUrl}${path}`, {
    method: 'GET',
    timeoutMs: call.timeoutMs,
    ...(call.signal ? { signal: call.signal } : {}),
    ...(call.fetch ? { fetch: call.fetch } : {}),
  });
  if (answer.status !== 200)
    throw new Error(`${call.baseUrl}${path}: HTTP ${answer.status}: ${errorMessage(answer)}`);
  return answer.body;
}
