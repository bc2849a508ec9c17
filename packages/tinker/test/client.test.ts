import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTinkerServiceClient, datumFromSequence, TinkerRequestError, type TinkerServiceClient } from '../src/index';
import { FakeTinkerServer } from './fake-server';

const KEY = 'tml-secret-key-123';
let server: FakeTinkerServer;
let client: TinkerServiceClient | undefined;

function connect(options: Parameters<typeof createTinkerServiceClient>[0] = {}): TinkerServiceClient {
  client = createTinkerServiceClient({
    baseUrl: server.url,
    apiKey: KEY,
    pollIntervalMs: 5,
    backoff: { initialMs: 5, maxMs: 20 },
    timeoutMs: 2_000,
    env: {},
    ...options,
  });
  return client;
}

beforeEach(async () => {
  server = await new FakeTinkerServer().start();
});
afterEach(async () => {
  client?.close();
  client = undefined;
  await server.stop();
});

const datum = datumFromSequence([0, 1], [2, 3], { weights: [1, 1] });

describe('Tinker client over HTTP', () => {
  it('reads the base URL and key from the environment and sends the key as X-API-Key', async () => {
    client = createTinkerServiceClient({ env: { TINKER_BASE_URL: server.url, TINKER_API_KEY: KEY } });
    const caps = await client.getServerCapabilities();
    expect(caps.supported_models[0]?.model_name).toBe('tiny/bigram');
    expect(server.requests[0]?.headers['x-api-key']).toBe(KEY);
  });

  it('fails clearly without a base URL', () => {
    expect(() => createTinkerServiceClient({ env: {} })).toThrow(/TINKER_BASE_URL/);
  });

  it('creates a session and a LoRA model, then polls pending futures (408) until ready', async () => {
    server.pendingPolls = 3;
    const training = await connect().createLoraTrainingClient({ baseModel: 'tiny/bigram', rank: 4 });
    expect(training.modelId).toBe('model-0');
    expect(server.ops('create_session')[0]?.body).toMatchObject({ tags: ['oreal-ts'], sdk_version: expect.any(String) });
    expect(server.ops('create_model')[0]?.body).toMatchObject({ session_id: 'session-1', model_seq_id: 0, base_model: 'tiny/bigram', lora_config: { rank: 4 } });
    expect(server.ops('retrieve_future')).toHaveLength(4);
  });

  it('gives every training op a seq_id increasing by one, submitted in call order', async () => {
    const training = await connect().createLoraTrainingClient({ baseModel: 'tiny/bigram', rank: 1 });
    await Promise.all([training.forward([datum]), training.forwardBackward([datum], 'cross_entropy'), training.optimStep({ learning_rate: 0.1 })]);
    await training.saveWeightsForSampler('s1');
    const ops = server.requests.filter((r) => ['forward', 'forward_backward', 'optim_step', 'save_weights_for_sampler'].includes(r.op));
    expect(ops.map((r) => r.op)).toEqual(['forward', 'forward_backward', 'optim_step', 'save_weights_for_sampler']);
    expect(ops.map((r) => r.body['seq_id'])).toEqual([1, 2, 3, 4]);
    expect(server.ops('optim_step')[0]?.body['adam_params']).toEqual({ learning_rate: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-12, weight_decay: 0, grad_clip_norm: 0 });
  });

  it('sends importance_sampling inputs (target_tokens, logprobs, advantages) and reads get_info', async () => {
    const training = await connect().createLoraTrainingClient({ baseModel: 'tiny/bigram', rank: 2 });
    const is = datumFromSequence([0], [1, 2], { logprobs: [-0.5, -1.5], advantages: [1, -1] });
    await training.forwardBackward([is], 'importance_sampling');
    const input = server.ops('forward_backward')[0]?.body['forward_backward_input'] as { loss_fn: string; data: { loss_fn_inputs: Record<string, { data: number[]; dtype: string }> }[] };
    expect(input.loss_fn).toBe('importance_sampling');
    expect(input.data[0]?.loss_fn_inputs).toEqual({
      target_tokens: { data: [1, 2], dtype: 'int64', shape: [2] },
      logprobs: { data: [-0.5, -1.5], dtype: 'float32', shape: [2] },
      advantages: { data: [1, -1], dtype: 'float32', shape: [2] },
    });
    await expect(training.optimStep({ learning_rate: -1 })).rejects.toThrow(/adamParams\.learning_rate/);
    const info = await training.getInfo();
    expect(info).toMatchObject({ model_id: 'model-0', model_data: { model_name: 'tiny/bigram' } });
  });

  it('honours Retry-After on 429', async () => {
    server.script.set('get_server_capabilities', [{ status: 429, body: { detail: 'slow down' }, headers: { 'retry-after': '0.2' } }]);
    const started = Date.now();
    await connect().getServerCapabilities();
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(server.ops('get_server_capabilities')).toHaveLength(2);
  });

  it('retries a 500 and then succeeds; gives up after maxRetries naming the op', async () => {
    server.script.set('create_session', [{ status: 500, body: { error: 'boom' } }]);
    expect(await connect().sessionId()).toBe('session-1');
    expect(server.ops('create_session')).toHaveLength(2);
    client?.close();
    server.script.set('get_server_capabilities', Array.from({ length: 5 }, () => ({ status: 503, body: { error: 'down' } })));
    const error = await connect({ maxRetries: 2 }).getServerCapabilities().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TinkerRequestError);
    expect((error as Error).message).toMatch(/get_server_capabilities.*down.*3 attempts/);
  });

  it('times out a future with an error naming the op and request_id, without the key', async () => {
    server.pendingPolls = 1_000;
    const training = await connect({ timeoutMs: 300 }).createLoraTrainingClient({ baseModel: 'tiny/bigram', rank: 1 }).catch((e: unknown) => e);
    expect(training).toBeInstanceOf(TinkerRequestError);
    const error = training as TinkerRequestError;
    expect(error.kind).toBe('timeout');
    expect(error.message).toMatch(/create_model \(request_id req-1\).*timed out/);
    expect(error.message).not.toContain(KEY);
  });

  it('redacts the key from server error messages that echo it', async () => {
    server.script.set('create_session', [{ status: 401, body: { detail: `bad key ${KEY}` } }]);
    const error = (await connect().sessionId().catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('bad key [redacted]');
    expect(error.message).not.toContain(KEY);
  });

  it('names the op and the field of an invalid response body', async () => {
    const training = await connect().createLoraTrainingClient({ baseModel: 'tiny/bigram', rank: 1 });
    server.resultOverride = (op, result) => (op === 'forward' ? { loss_fn_outputs: [{ logprobs: { data: 'nope', dtype: 'float32' } }] } : result);
    const error = (await training.forward([datum]).catch((e: unknown) => e)) as TinkerRequestError;
    expect(error.kind).toBe('invalid-response');
    expect(error.message).toMatch(/tinker forward \(request_id req-\d+\).*loss_fn_outputs\.0\.logprobs\.data/);
  });

  it('reports a failed future with its error and category', async () => {
    const training = await connect().createLoraTrainingClient({ baseModel: 'tiny/bigram', rank: 1 });
    server.resultOverride = (op, result) => (op === 'optim_step' ? { type: 'RequestFailedResponse', error: 'no gradients', category: 'user' } : result);
    await expect(training.optimStep({ learning_rate: 1 })).rejects.toThrow(/optim_step.*failed \[user\]: no gradients/);
  });

  it('retries a network error (connection dropped) with back-off', async () => {
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      calls += 1;
      if (calls === 1) throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    expect((await connect({ fetch: flaky }).getServerCapabilities()).supported_models).toHaveLength(1);
    expect(calls).toBe(2);
  });

  it('sends the row-seed key only when the server advertises row-seeds', async () => {
    const svc = connect();
    const sampling = await svc.createSamplingClient({ baseModel: 'tiny/bigram' });
    await sampling.sample({ prompt: [1], numSamples: 2, samplingParams: { max_tokens: 3, seed: 7 }, rowSeedKey: '0' });
    expect(server.ops('asample')[0]?.body).not.toHaveProperty('oreal_row_seed_key');
    svc.close();
    server.extensions = ['row-seeds'];
    const sampling2 = await connect().createSamplingClient({ modelPath: 'tinker://model/sampler_weights/s' });
    const result = await sampling2.sample({ prompt: [1], numSamples: 2, samplingParams: { max_tokens: 3, seed: 7 }, rowSeedKey: '4' });
    expect(server.ops('asample')[1]?.body).toMatchObject({ oreal_row_seed_key: '4', num_samples: 2, sampling_params: { max_tokens: 3, seed: 7, top_k: -1 } });
    expect(server.ops('create_sampling_session')[1]?.body).toMatchObject({ model_path: 'tinker://model/sampler_weights/s' });
    expect(result.sequences).toHaveLength(2);
  });

  it('heartbeats the session and leaves no timers or sockets behind after close', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const svc = connect({ heartbeatIntervalMs: 20 });
    await svc.sessionId();
    await new Promise((resolve) => setTimeout(resolve, 90));
    expect(server.ops('session_heartbeat').length).toBeGreaterThanOrEqual(2);
    expect(server.ops('session_heartbeat')[0]?.body).toMatchObject({ session_id: 'session-1' });
    svc.close();
    const count = server.ops('session_heartbeat').length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    // A heartbeat already sent when close() ran may still arrive; none starts after it.
    expect(server.ops('session_heartbeat').length).toBeLessThanOrEqual(count + 1);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(before);
  });

  it('close() aborts a pending poll with a clear error', async () => {
    server.pendingPolls = 1_000;
    const svc = connect({ timeoutMs: 10_000 });
    const pending = svc.createLoraTrainingClient({ baseModel: 'tiny/bigram', rank: 1 }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    svc.close();
    const error = (await pending) as TinkerRequestError;
    expect(error.kind).toBe('closed');
  });
});
