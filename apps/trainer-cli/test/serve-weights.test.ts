// `oreal serve`'s weight sync: POST /v1/load_weights with folders written by tensor-model's
// checkpoint publisher (full and delta), weight_version in /v1/models and in every response, a
// request in flight during a load, and failed loads keeping the old weights. Tiny random
// checkpoints made here; real sockets on 127.0.0.1.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Policy, Tokenizer } from '@oreal-ts/core';
import {
  createCharTokenizer,
  createCheckpointPublisher,
  createTransformerPolicy,
  encodeSafetensors,
  initBackend,
  loadTransformerPolicy,
  readPublishedVersion,
  type TransformerConfigInput,
  type TransformerPolicy,
} from '@oreal-ts/tensor-model';
import { startServer, type RunningServer } from '../src/serve/index';
import { temporaryDirs } from './support/temporary-dirs';

const tempDir = temporaryDirs();
const tokenizer: Tokenizer = createCharTokenizer({
  characters: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ +=:\n0123456789',
  specialTokens: ['<eos>'],
});
const config: TransformerConfigInput = {
  model_type: 'qwen2',
  vocab_size: tokenizer.vocabSize,
  hidden_size: 32,
  intermediate_size: 48,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 96,
};

let publishDir: string;
let v0: string;
let v1: string;
let served: TransformerPolicy;
let server: RunningServer;
const logs: string[] = [];
let onDecode: (() => void) | undefined;

/** A policy whose `startDecoding` first calls `onDecode` (to know a batch is being decoded). */
function observed(policy: TransformerPolicy): Policy {
  return new Proxy(policy, {
    get(target, key) {
      if (key === 'startDecoding') {
        return (ids: readonly (readonly number[])[]) => {
          onDecode?.();
          return target.startDecoding(ids);
        };
      }
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function post(
  url: string,
  route: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Greedy completion of fixed prompts: the text, token log-probs and the reported weight_version. */
async function greedy(url: string, maxTokens = 10, n = 1) {
  const { status, body } = await post(url, '/v1/completions', {
    model: 'tiny',
    prompt: [
      [3, 4, 5, 6],
      [7, 8],
    ],
    temperature: 0,
    max_tokens: maxTokens,
    n,
    logprobs: 0,
    return_tokens_as_token_ids: true,
  });
  expect(status).toBe(200);
  const choices = body.choices as {
    text: string;
    logprobs: { tokens: string[]; token_logprobs: number[] };
  }[];
  return {
    outputs: choices.map((c) => ({ tokens: c.logprobs.tokens, logprobs: c.logprobs.token_logprobs })),
    version: body.weight_version,
  };
}

async function modelVersion(url: string): Promise<unknown> {
  const body = (await (await fetch(`${url}/v1/models`)).json()) as { data: { weight_version: unknown }[] };
  return body.data[0]?.weight_version;
}

/** Greedy outputs of a fresh server started on `folder`. */
async function freshGreedy(folder: string, maxTokens = 10, n = 1) {
  const policy = await loadTransformerPolicy(folder);
  const fresh = await startServer({ policy, tokenizer, modelName: 'tiny', port: 0 });
  try {
    return (await greedy(fresh.url, maxTokens, n)).outputs;
  } finally {
    await fresh.close();
    policy.dispose();
  }
}

/** Publish `policy`'s weights into the shared publish folder as `version`. */
async function publish(policy: TransformerPolicy, version: number, mode: 'full' | 'delta' = 'full') {
  return createCheckpointPublisher({ policy, dir: publishDir, mode, keep: 10 }).publish(version);
}

beforeAll(async () => {
  await initBackend({ quiet: true });
  publishDir = await tempDir('oreal-serve-weights-');
  const start = createTransformerPolicy(config, { seed: 1 });
  v0 = (await publish(start, 0)).path;
  start.dispose();
  const next = createTransformerPolicy(config, { seed: 2 });
  v1 = (await publish(next, 1)).path;
  next.dispose();
  served = await loadTransformerPolicy(v0);
  server = await startServer({
    policy: observed(served),
    tokenizer,
    modelName: 'tiny',
    port: 0,
    weightVersion: (await readPublishedVersion(v0)).version,
    reloadWeights: (dir, options) => served.reloadWeights(dir, options),
    logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
  });
});

afterAll(async () => {
  await server?.close();
  served?.dispose();
});

describe('POST /v1/load_weights', () => {
  it('reports the start version in /v1/models and responses, and after a load decodes exactly as a fresh server on the new folder', async () => {
    expect(await modelVersion(server.url)).toBe(0);
    const before = await greedy(server.url);
    expect(before.version).toBe(0);
    expect(before.outputs).toEqual(await freshGreedy(v0));

    const loaded = await post(server.url, '/v1/load_weights', { path: v1, version: 1 });
    expect(loaded.status).toBe(200);
    expect(loaded.body).toMatchObject({ version: 1, path: v1 });
    expect(loaded.body.seconds).toBeGreaterThanOrEqual(0);
    expect(await modelVersion(server.url)).toBe(1);
    const after = await greedy(server.url);
    expect(after.version).toBe(1);
    expect(after.outputs).toEqual(await freshGreedy(v1));
    expect(after.outputs).not.toEqual(before.outputs);
    const chat = await post(server.url, '/v1/chat/completions', {
      model: 'tiny',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 3,
    });
    expect(chat.status).toBe(200);
    expect(chat.body.weight_version).toBe(1);
  });

  it('lets a request in flight finish on the old weights (reporting them) and gives requests that arrive during the load the new ones', async () => {
    await post(server.url, '/v1/load_weights', { path: v0, version: 0 }).then((r) =>
      expect(r.status).toBe(200),
    );
    const oldOutputs = (await greedy(server.url, 40, 3)).outputs;
    const decoding = new Promise<void>((resolve) => (onDecode = resolve));
    const inFlight = greedy(server.url, 40, 3);
    await decoding;
    onDecode = undefined;
    const load = post(server.url, '/v1/load_weights', { path: v1, version: 1 });
    const arriving = greedy(server.url, 40, 3);
    const [first, loaded, later] = await Promise.all([inFlight, load, arriving]);
    expect(loaded.status).toBe(200);
    expect(first.version).toBe(0);
    expect(first.outputs).toEqual(oldOutputs);
    expect(later.version).toBe(1);
    expect(later.outputs).toEqual(await freshGreedy(v1, 40, 3));
  });

  it('refuses bad loads with 400 naming the file or field, keeps the old weights and version, and logs the failure', async () => {
    expect(await modelVersion(server.url)).toBe(1);
    const reference = await greedy(server.url);
    const wrongShapes = await tempDir('oreal-serve-wrong-');
    const other = createTransformerPolicy({ ...config, hidden_size: 16, intermediate_size: 24 }, { seed: 5 });
    await other.save(wrongShapes);
    other.dispose();
    const misShaped = await tempDir('oreal-serve-misshaped-');
    await mkdir(misShaped, { recursive: true });
    const weights = served.huggingFaceWeights();
    weights.set('model.norm.weight', { shape: [3], data: new Float32Array(3) });
    await writeFile(join(misShaped, 'model.safetensors'), encodeSafetensors(weights));
    await writeFile(join(misShaped, 'config.json'), JSON.stringify(served.configJson()));
    const cases: [unknown, RegExp][] = [
      [
        { path: join(publishDir, 'policy-v99'), version: 99 },
        /policy-v99\/config\.json: cannot read config\.json/,
      ],
      [
        { path: wrongShapes, version: 2 },
        /config\.json: describes another model than the one loaded: hidden 16 ≠ 32/,
      ],
      [{ path: misShaped, version: 2 }, /model\.norm\.weight has shape \[3\], expected \[32\]/],
      [
        { path: v0, version: 7 },
        /policy-v0\/version\.json says version 0, but the request asks to load it as version 7/,
      ],
      [{ path: v0, version: 0, force: true }, /force/],
      [{ path: 'relative/dir', version: 1 }, /path: must be an absolute path/],
    ];
    for (const [body, message] of cases) {
      logs.length = 0;
      const answer = await post(server.url, '/v1/load_weights', body);
      expect(answer.status).toBe(400);
      expect((answer.body.error as { message: string }).message).toMatch(message);
      expect(await modelVersion(server.url)).toBe(1);
      expect(await greedy(server.url)).toEqual(reference);
    }
    logs.length = 0;
    await post(server.url, '/v1/load_weights', { path: wrongShapes, version: 2 });
    expect(
      logs.some((line) =>
        /load_weights .*oreal-serve-wrong-.* failed, still serving version 1: .*describes another model/.test(
          line,
        ),
      ),
    ).toBe(true);
  });

  it('applies a delta on top of the version it needs (equal to a fresh server on the full weights), and refuses it on another version with 409', async () => {
    expect(await modelVersion(server.url)).toBe(1);
    const changed = await loadTransformerPolicy(v1);
    const patch = await tempDir('oreal-serve-patch-');
    const norm = changed.huggingFaceWeights().get('model.layers.1.post_attention_layernorm.weight');
    if (!norm) throw new Error('no norm tensor');
    await writeFile(
      join(patch, 'model.safetensors'),
      encodeSafetensors(
        new Map([
          [
            'model.layers.1.post_attention_layernorm.weight',
            { shape: norm.shape, data: norm.data.map((v, i) => v * (1.5 + 0.01 * i)) },
          ],
        ]),
      ),
    );
    await writeFile(join(patch, 'config.json'), JSON.stringify(changed.configJson()));
    await changed.reloadWeights(patch, { allowPartial: true });
    const delta = await publish(changed, 2, 'delta');
    expect(delta).toMatchObject({ kind: 'delta', baseVersion: 1, tensorCount: 1 });
    const full = await createCheckpointPublisher({
      policy: changed,
      dir: await tempDir('oreal-serve-full-'),
    }).publish(2);
    changed.dispose();

    const loaded = await post(server.url, '/v1/load_weights', { path: delta.path, version: 2 });
    expect(loaded.status).toBe(200);
    const after = await greedy(server.url);
    expect(after.version).toBe(2);
    expect(after.outputs).toEqual(await freshGreedy(full.path));

    const again = await post(server.url, '/v1/load_weights', { path: delta.path, version: 2 });
    expect(again.status).toBe(409);
    expect((again.body.error as { message: string }).message).toMatch(
      /is a delta on version 1, but this server holds version 2/,
    );
    expect(await modelVersion(server.url)).toBe(2);
  });

  it('answers 400 on a server started without a reload function, and reports version null', async () => {
    const plain = await startServer({ policy: served, tokenizer, modelName: 'tiny', port: 0 });
    try {
      expect(await modelVersion(plain.url)).toBeNull();
      expect((await greedy(plain.url)).version).toBeNull();
      const answer = await post(plain.url, '/v1/load_weights', { path: v0, version: 0 });
      expect(answer.status).toBe(400);
      expect((answer.body.error as { message: string }).message).toMatch(/cannot load weights/);
    } finally {
      await plain.close();
    }
  });
});
