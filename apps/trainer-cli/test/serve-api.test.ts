// `oreal serve` over the OpenAI API with core's tabular fake policy: protocol, validation, shutdown.
// (test/serve.test.ts runs the same server with a real tensor-model checkpoint.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeTokenizer, createTabularPolicy } from '@oreal-ts/core/testing';
import { createOpenAISampler, questionOnlyPrompt } from '@oreal-ts/sampler';
import { HttpRequestError } from '@oreal-ts/core';
import { installShutdownHandlers, startServer, type RunningServer } from '../src/serve/index';

const logits = new Array(128).fill(-10);
logits[0] = -1; // EOS
for (const c of 'ab;') logits[c.charCodeAt(0)] = 2;
const policy = { ...createTabularPolicy({ vocabSize: 128, initialLogits: logits }), maxSequenceLength: 64 };
const tokenizer = createFakeTokenizer();
const logs: string[] = [];
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({
    policy,
    tokenizer,
    modelName: 'tabular',
    port: 0,
    logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
  });
});
afterAll(async () => {
  await server.close();
});

async function post(path: string, body: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('oreal serve (fake policy)', () => {
  it('binds 127.0.0.1 by default and lists the model', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${server.url}/v1/models`);
    expect(await response.json()).toMatchObject({
      object: 'list',
      data: [{ id: 'tabular', object: 'model', max_model_len: 64 }],
    });
  });

  it('answers /v1/completions with n choices, log-probs, usage and OpenAI fields', async () => {
    const { status, body } = await post('/v1/completions', {
      model: 'tabular',
      prompt: 'hi',
      n: 3,
      max_tokens: 5,
      logprobs: 2,
      seed: 1,
    });
    expect(status).toBe(200);
    expect(body.object).toBe('text_completion');
    expect(body.choices).toHaveLength(3);
    const p = policy.probabilities();
    for (const [index, choice] of body.choices.entries()) {
      expect(choice.index).toBe(index);
      expect(['stop', 'length']).toContain(choice.finish_reason);
      expect(choice.logprobs.tokens.join('')).toBe(choice.text);
      choice.logprobs.tokens.forEach((token: string, t: number) => {
        const id = token === '' ? 0 : token.charCodeAt(0); // the fake tokenizer decodes EOS (0) to ''
        expect(choice.logprobs.token_logprobs[t]).toBeCloseTo(Math.log(p[id]!), 5);
        expect(Object.keys(choice.logprobs.top_logprobs[t])).toHaveLength(2);
      });
    }
    expect(body.usage.prompt_tokens).toBe(2);
    expect(body.usage.total_tokens).toBe(2 + body.usage.completion_tokens);
  });

  it('is deterministic for a seed', async () => {
    const request = { model: 'tabular', prompt: 'x', n: 4, max_tokens: 8, seed: 9 };
    const [a, b] = [await post('/v1/completions', request), await post('/v1/completions', request)];
    expect(a.body.choices.map((c: { text: string }) => c.text)).toEqual(
      b.body.choices.map((c: { text: string }) => c.text),
    );
  });

  it('cuts the stop string from the text (OpenAI semantics), names it in stop_reason, and keeps it on request', async () => {
    const cut = await post('/v1/completions', {
      model: 'tabular',
      prompt: 'x',
      n: 8,
      max_tokens: 40,
      stop: [';'],
      seed: 3,
    });
    const stopped = cut.body.choices.filter((c: { finish_reason: string }) => c.finish_reason === 'stop');
    expect(stopped.length).toBeGreaterThan(0);
    for (const choice of cut.body.choices) expect(choice.text).not.toContain(';');
    for (const choice of stopped)
      expect(choice.stop_reason === ';' || choice.stop_reason === null).toBe(true);
    const kept = await post('/v1/completions', {
      model: 'tabular',
      prompt: 'x',
      n: 8,
      max_tokens: 40,
      stop: ';',
      seed: 3,
      include_stop_str_in_output: true,
    });
    kept.body.choices.forEach((choice: { text: string; stop_reason: unknown }, i: number) => {
      if (choice.stop_reason === ';') expect(choice.text).toBe(`${cut.body.choices[i].text};`);
    });
  });

  it('answers /v1/chat/completions with messages and log-probs', async () => {
    const { status, body } = await post('/v1/chat/completions', {
      model: 'tabular',
      messages: [{ role: 'user', content: 'hi' }],
      n: 2,
      max_tokens: 4,
      logprobs: true,
    });
    expect(status).toBe(200);
    expect(body.object).toBe('chat.completion');
    expect(body.choices).toHaveLength(2);
    for (const choice of body.choices) {
      expect(choice.message.role).toBe('assistant');
      expect(choice.logprobs.content.map((c: { token: string }) => c.token).join('')).toBe(
        choice.message.content,
      );
    }
  });

  it('rejects bad bodies with 400 and a message naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ model: 'tabular' }, /prompt/],
      [{ model: 'tabular', prompt: 'x', temperature: -1 }, /temperature/],
      [{ model: 'tabular', prompt: 'x', n: 0 }, /n:/],
      [{ model: 'tabular', prompt: 'x', top_p: 0 }, /top_p/],
      [{ model: 'tabular', prompt: 'x', max_tokens: 1000 }, /exceeds the model's maxSequenceLength 64/],
      [{ model: 'tabular', prompt: 'x', stream: true }, /stream/],
      ['{"model": "tabular", "prompt": ', /JSON/i],
    ];
    for (const [body, message] of cases) {
      const response = await post('/v1/completions', body);
      expect(response.status).toBe(400);
      expect(response.body.error.type).toBe('invalid_request_error');
      expect(response.body.error.message).toMatch(message);
    }
    const chat = await post('/v1/chat/completions', {
      model: 'tabular',
      messages: [{ role: 'robot', content: 'x' }],
    });
    expect(chat.status).toBe(400);
    expect(chat.body.error.message).toMatch(/messages\.0\.role/);
  });

  it('answers 404 for an unknown model or route', async () => {
    const model = await post('/v1/completions', { model: 'gpt-9', prompt: 'x' });
    expect(model.status).toBe(404);
    expect(model.body.error.message).toContain("'gpt-9' does not exist");
    expect((await fetch(`${server.url}/v2/nothing`)).status).toBe(404);
  });

  it('logs one line per request', () => {
    expect(logs.some((line) => /^POST \/v1\/completions 200 \d+ ms$/.test(line))).toBe(true);
  });

  it('serves the HTTP sampler, and a 400 from the server fails the sampler at once', async () => {
    const sampler = createOpenAISampler({
      baseUrls: [server.url],
      model: 'tabular',
      mode: 'completions',
      prompt: questionOnlyPrompt,
    });
    const groups = await sampler.sample([{ id: 'q', question: 'hi', answer: '' }], {
      n: 4,
      temperature: 1,
      topP: 1,
      maxNewTokens: 6,
      stop: [';'],
    });
    expect(groups[0]!.rollouts).toHaveLength(4);
    for (const r of groups[0]!.rollouts) {
      // the sampler restores the stop string that the server cut and named in stop_reason
      expect(r.text.indexOf(';')).toBe(
        r.finishReason === 'stop' && r.text.endsWith(';') ? r.text.length - 1 : -1,
      );
    }
    const tooLong = sampler.sample([{ id: 'q', question: 'hi', answer: '' }], {
      n: 1,
      temperature: 1,
      topP: 1,
      maxNewTokens: 500,
    });
    await expect(tooLong).rejects.toSatisfy(
      (e: unknown) => HttpRequestError.is(e) && e.status === 400 && e.message.includes('maxSequenceLength'),
    );
  });
});

describe('request batching', () => {
  it('decodes rows of concurrent requests in one batch, with each request’s own settings and seed', async () => {
    const batchSizes: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const gated = {
      ...policy,
      startDecoding: async (ids: readonly (readonly number[])[]) => {
        batchSizes.push(ids.length);
        if (batchSizes.length === 1) await gate; // hold the first batch so the others queue
        return policy.startDecoding(ids);
      },
    };
    const running = await startServer({
      policy: gated,
      tokenizer,
      modelName: 'tabular',
      port: 0,
      batchSize: 16,
    });
    try {
      const ask = (seed: number, maxTokens: number) =>
        fetch(`${running.url}/v1/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'tabular', prompt: 'x', n: 2, max_tokens: maxTokens, seed }),
        }).then(async (r) =>
          ((await r.json()) as { choices: { text: string; logprobs: null }[] }).choices.map((c) => c.text),
        );
      const first = ask(1, 4);
      await expect.poll(() => batchSizes.length).toBe(1);
      const others = [ask(2, 6), ask(3, 8), ask(2, 6)];
      await new Promise((r) => setTimeout(r, 1000)); // let them arrive and queue (generous: the CPU is shared)
      release();
      const [a, b, c, d] = await Promise.all([first, ...others]);
      expect(batchSizes).toEqual([2, 6]); // the three queued requests shared one batch
      expect(a!.every((t) => t.length <= 4)).toBe(true);
      expect(c!.every((t) => t.length <= 8)).toBe(true);
      expect(d).toEqual(b); // same seed and body → same result, whatever else shares the batch
      // and the same as when served alone
      const alone = await post('/v1/completions', {
        model: 'tabular',
        prompt: 'x',
        n: 2,
        max_tokens: 6,
        seed: 2,
      });
      expect(alone.body.choices.map((ch: { text: string }) => ch.text)).toEqual(b);
    } finally {
      await running.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('closes on SIGTERM after in-flight requests finish, then exits 0', async () => {
    let started!: () => void;
    const decoding = new Promise<void>((resolve) => (started = resolve));
    const watched = {
      ...policy,
      startDecoding: (ids: readonly (readonly number[])[]) => (started(), policy.startDecoding(ids)),
    };
    const running = await startServer({ policy: watched, tokenizer, modelName: 'tabular', port: 0 });
    const exits: number[] = [];
    let closed = false;
    const uninstall = installShutdownHandlers(running, {
      exit: (code) => exits.push(code),
      onClosed: () => void (closed = true),
      signals: ['SIGUSR2'],
    });
    try {
      const inFlight = fetch(`${running.url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tabular', prompt: 'x', max_tokens: 30, n: 16 }),
      });
      await decoding; // the request is being served
      process.emit('SIGUSR2', 'SIGUSR2');
      const response = await inFlight;
      expect(response.status).toBe(200);
      await expect.poll(() => exits).toEqual([0]);
      expect(closed).toBe(true);
      await expect(fetch(`${running.url}/v1/models`)).rejects.toThrow();
    } finally {
      uninstall();
      await running.close();
    }
  });
});
