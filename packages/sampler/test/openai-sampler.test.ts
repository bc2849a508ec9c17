import { afterEach, describe, expect, it } from 'vitest';
import { HttpRequestError, SeededRng } from '@oreal-ts/core';
import type { Problem, SampleOptions } from '@oreal-ts/core';
import { createOpenAISampler, questionOnlyPrompt } from '../src/index';
import { startFaultServer, type Fault, type FaultServer } from './fault-server';

const problems: Problem[] = Array.from({ length: 12 }, (_, i) => ({ id: `p${i}`, question: `question ${i}`, answer: String(i) }));
const options: SampleOptions = { n: 4, temperature: 1, topP: 0.9, maxNewTokens: 32, seed: 5 };
const fast = { initialMs: 5, maxMs: 40 };
const servers: FaultServer[] = [];
async function serve(decide: (i: number) => Fault) {
  const s = await startFaultServer(decide);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Every problem has exactly n rollouts, each answering that problem, with no text delivered twice. */
function expectExactlyOnce(groups: Awaited<ReturnType<ReturnType<typeof createOpenAISampler>['sample']>>, n: number) {
  expect(groups.map((g) => g.problem.id)).toEqual(problems.map((p) => p.id));
  const all = groups.flatMap((g) => g.rollouts.map((r) => r.text));
  expect(new Set(all).size).toBe(all.length);
  for (const group of groups) {
    expect(group.rollouts.map((r) => r.sampleIndex)).toEqual(Array.from({ length: n }, (_, k) => k));
    for (const r of group.rollouts) {
      expect(r.problemId).toBe(group.problem.id);
      expect(r.text.startsWith(`${group.problem.question}#`)).toBe(true);
    }
  }
}

describe('createOpenAISampler', () => {
  it('sends the OpenAI completion fields and maps choices to rollouts', async () => {
    const server = await serve(() => ({ kind: 'ok' }));
    const sampler = createOpenAISampler({ baseUrls: [server.url], model: 'tiny', mode: 'completions', prompt: questionOnlyPrompt, apiKey: 'k' });
    const groups = await sampler.sample(problems.slice(0, 2), { ...options, topK: 5, stop: ['\n\n'] });
    const body = server.requests[0]!.body;
    expect(server.requests[0]!.path).toBe('/v1/completions');
    expect(body).toMatchObject({ model: 'tiny', n: 4, temperature: 1, top_p: 0.9, top_k: 5, max_tokens: 32, stop: ['\n\n'], logprobs: 1 });
    expect(typeof body.seed).toBe('number');
    expect(server.requests[0]!.headers.authorization).toBe('Bearer k');
    const r = groups[0]!.rollouts[1]!;
    expect(r).toMatchObject({ prompt: 'question 0', tokenIds: [], logProbs: [-0.5, -1.5], finishReason: 'length' });
    expect(groups[0]!.rollouts[0]!.finishReason).toBe('stop');
  });

  it('talks to /v1/chat/completions with messages in chat mode', async () => {
    const server = await serve(() => ({ kind: 'ok' }));
    const sampler = createOpenAISampler({ baseUrls: [`${server.url}/v1/`], model: 'tiny', mode: 'chat', prompt: questionOnlyPrompt });
    const groups = await sampler.sample(problems.slice(0, 1), options);
    expect(server.requests[0]!.path).toBe('/v1/chat/completions');
    expect(server.requests[0]!.body).toMatchObject({ messages: [{ role: 'user', content: 'question 0' }], logprobs: true });
    expect(groups[0]!.rollouts).toHaveLength(4);
    expect(groups[0]!.rollouts[0]!.logProbs).toEqual([-0.5]);
  });

  it('delivers every result exactly once through delays, 500s, 429s, resets, garbage and short answers', async () => {
    const faults: Fault[] = [
      { kind: 'status', status: 500 },
      { kind: 'drop' },
      { kind: 'status', status: 429, headers: { 'retry-after': '0' } },
      { kind: 'delay', ms: 400 }, // longer than timeoutMs
      { kind: 'short', choices: 1 },
      { kind: 'garbage' },
      { kind: 'status', status: 503 },
      { kind: 'ok' },
      { kind: 'ok' },
    ];
    const rng = new SeededRng(11);
    const decide = (i: number): Fault => (i < 3 ? { kind: 'drop' } : rng.choice(faults));
    const [a, b] = [await serve(decide), await serve(decide)];
    const retries: string[] = [];
    // Count in-flight requests per server on the client side (the server still counts timed-out ones).
    const inFlight = new Map<string, number>();
    let maxInFlight = 0;
    const countingFetch: typeof fetch = async (url, init) => {
      const key = new URL(String(url)).host;
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
      maxInFlight = Math.max(maxInFlight, inFlight.get(key)!);
      try {
        const response = await fetch(url, init);
        await response.clone().text().catch(() => '');
        return response;
      } finally {
        inFlight.set(key, inFlight.get(key)! - 1);
      }
    };
    const sampler = createOpenAISampler({
      fetch: countingFetch,
      baseUrls: [a.url, b.url],
      model: 'tiny',
      mode: 'completions',
      prompt: questionOnlyPrompt,
      concurrencyPerUrl: 3,
      maxRetries: 30,
      timeoutMs: 150,
      backoff: fast,
      onRetry: (info) => retries.push(`${info.status ?? 'network'}: ${info.reason}`),
    });
    const groups = await sampler.sample(problems, options);
    expectExactlyOnce(groups, 4);
    expect(a.requests.length).toBeGreaterThan(0);
    expect(b.requests.length).toBeGreaterThan(0);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeGreaterThan(1);
    // Each kind of fault was met and retried.
    expect(retries.some((r) => r.startsWith('500'))).toBe(true);
    expect(retries.some((r) => r.startsWith('429'))).toBe(true);
    expect(retries.some((r) => r.includes('timed out'))).toBe(true);
    expect(retries.some((r) => r.startsWith('network: connection failed'))).toBe(true);
    // Short answers were topped up: more requests than problems succeeded.
    expect(a.requests.some((r) => Number(r.body.n) < 4) || b.requests.some((r) => Number(r.body.n) < 4)).toBe(true);
  });

  it('keeps results in problem order when later problems finish first', async () => {
    const server = await serve(() => ({ kind: 'ok' }));
    const slowFirst = await serve(() => ({ kind: 'delay', ms: 60 }));
    const sampler = createOpenAISampler({ baseUrls: [slowFirst.url, server.url], model: 'm', mode: 'completions', prompt: questionOnlyPrompt, concurrencyPerUrl: 6 });
    expectExactlyOnce(await sampler.sample(problems, options), 4);
  });

  it('appends the matched stop string reported by vLLM (stop_reason) that the server cut off', async () => {
    const server = await serve(() => ({ kind: 'ok' }));
    const fetchWithStopReason: typeof fetch = async (url, init) => {
      const response = await fetch(url, init);
      const body = (await response.json()) as { choices: { text: string; stop_reason?: string; finish_reason: string }[] };
      body.choices.forEach((c) => {
        c.finish_reason = 'stop';
        c.stop_reason = 'END';
      });
      return new Response(JSON.stringify(body), { status: 200 });
    };
    const sampler = createOpenAISampler({ baseUrls: [server.url], model: 'm', mode: 'completions', prompt: questionOnlyPrompt, fetch: fetchWithStopReason });
    const [group] = await sampler.sample(problems.slice(0, 1), { ...options, n: 1, stop: ['END'] });
    expect(group!.rollouts[0]!.text).toMatch(/^question 0#\d+END$/);
  });

  it('gives up after maxRetries with an HttpRequestError naming the URL and the last status', async () => {
    const server = await serve(() => ({ kind: 'status', status: 503, body: { error: { message: 'overloaded' } } }));
    const sampler = createOpenAISampler({ baseUrls: [server.url], model: 'm', mode: 'completions', maxRetries: 3, backoff: fast });
    const error = await sampler.sample(problems.slice(0, 1), options).catch((e: unknown) => e);
    expect(HttpRequestError.is(error)).toBe(true);
    const httpError = error as HttpRequestError;
    expect(httpError.status).toBe(503);
    expect(httpError.url).toBe(`${server.url}/v1/completions`);
    expect(httpError.message).toContain(server.url);
    expect(httpError.message).toMatch(/HTTP 503.*4 attempts.*overloaded/);
    expect(server.requests).toHaveLength(4);
  });

  it('names the network failure when the last attempt was a reset', async () => {
    const server = await serve(() => ({ kind: 'drop' }));
    const sampler = createOpenAISampler({ baseUrls: [server.url], model: 'm', mode: 'completions', maxRetries: 1, backoff: fast });
    const error = (await sampler.sample(problems.slice(0, 1), options).catch((e: unknown) => e)) as HttpRequestError;
    expect(HttpRequestError.is(error)).toBe(true);
    expect(error.status).toBeUndefined();
    expect(error.message).toMatch(/connection failed/);
  });

  it('fails at once on 400 with the server message, and cancels the other requests', async () => {
    const server = await serve((i) => (i === 0 ? { kind: 'status', status: 400, body: { error: { message: 'max_tokens is too large' } } } : { kind: 'delay', ms: 50 }));
    const sampler = createOpenAISampler({ baseUrls: [server.url], model: 'm', mode: 'completions', concurrencyPerUrl: 1, maxRetries: 5, backoff: fast });
    const error = (await sampler.sample(problems, options).catch((e: unknown) => e)) as HttpRequestError;
    expect(HttpRequestError.is(error)).toBe(true);
    expect(error.status).toBe(400);
    expect(error.message).toContain('max_tokens is too large');
    expect(server.requests.length).toBeLessThan(problems.length); // not every problem was sent after the failure
  });

  it('never puts the API key in errors, even when the server echoes it', async () => {
    const secret = 'sk-test-very-secret-123';
    const echo = (status: number) => (i: number): Fault => ({ kind: 'status', status, body: { error: { message: `bad key Bearer ${secret} (request ${i})` } } });
    for (const status of [401, 500]) {
      const server = await serve(echo(status));
      const sampler = createOpenAISampler({ baseUrls: [server.url], model: 'm', mode: 'chat', apiKey: secret, maxRetries: 1, backoff: fast });
      const error = (await sampler.sample(problems.slice(0, 1), options).catch((e: unknown) => e)) as HttpRequestError;
      expect(HttpRequestError.is(error)).toBe(true);
      expect(error.message).toContain('[redacted]');
      expect(error.message).not.toContain(secret);
      expect(JSON.stringify(error)).not.toContain(secret);
      expect(String(error.stack)).not.toContain(secret);
    }
  });

  it('reads the key from OPENAI_API_KEY when no option is given', async () => {
    const server = await serve(() => ({ kind: 'ok' }));
    const previous = process.env.OPENAI_API_KEY;
    process.env.OPENAI_API_KEY = 'from-env';
    try {
      const sampler = createOpenAISampler({ baseUrls: [server.url], model: 'm', mode: 'completions' });
      await sampler.sample(problems.slice(0, 1), { ...options, n: 1 });
      expect(server.requests[0]!.headers.authorization).toBe('Bearer from-env');
    } finally {
      if (previous === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = previous;
    }
  });

  it('rejects bad options with a ConfigError naming the field', () => {
    expect(() => createOpenAISampler({ baseUrls: ['ftp://x'], model: 'm', mode: 'completions' })).toThrow(/openaiSampler\.baseUrls\.0/);
    expect(() => createOpenAISampler({ baseUrls: ['http://x'], model: 'm', mode: 'completions', concurrencyPerUrl: 0 })).toThrow(/concurrencyPerUrl/);
  });
});
