import { describe, expect, it } from 'vitest';
import { backoffDelay, isRetryableStatus, parseRetryAfter, redact } from './http-retry';

describe('backoffDelay', () => {
  const backoff = { initialMs: 100, maxMs: 1000 };
  it('doubles per attempt within [d/2, d] and caps at maxMs', () => {
    expect(backoffDelay(0, backoff, () => 0)).toBe(50);
    expect(backoffDelay(0, backoff, () => 1)).toBe(100);
    expect(backoffDelay(2, backoff, () => 1)).toBe(400);
    expect(backoffDelay(10, backoff, () => 1)).toBe(1000);
    expect(backoffDelay(10, backoff, () => 0)).toBe(500);
  });
  it('waits at least Retry-After, never beyond maxMs', () => {
    expect(backoffDelay(0, backoff, () => 0, 700)).toBe(700);
    expect(backoffDelay(0, backoff, () => 0, 5000)).toBe(1000);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('isRetryableStatus / redact', () => {
  it('retries 408, 429 and 5xx only', () => {
    expect([408, 429, 500, 502, 503].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 422].some(isRetryableStatus)).toBe(false);
  });
  it('blanks every occurrence of a secret', () => {
    expect(redact('a sk-1 b sk-1', ['sk-1'])).toBe('a [redacted] b [redacted]');
  });
});

describe('parseTokenIds', () => {
  it('reads vLLM token_id:<id> tokens, and gives up on any other token', async () => {
    const { parseTokenIds } = await import('./openai-sampler');
    expect(parseTokenIds(['token_id:5', 'token_id:0'])).toEqual([5, 0]);
    expect(parseTokenIds(['token_id:5', 'x'])).toEqual([]);
    expect(parseTokenIds(undefined)).toEqual([]);
  });
});
