import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { WeightSyncError, type PublishedWeights } from '@oreal-ts/core';
import { createSglangTarget, createVllmLoraTarget, parseVersion, versionOfAdapter } from '../src/index';
import { startFakeServer, type FakeServer } from './fake-servers';

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
const weights = (version: number, kind: 'full' | 'delta' = 'full'): PublishedWeights => ({
  version,
  path: `/shared/run/weights/policy-v${version}`,
  sha256: 'cd'.repeat(32),
  kind,
  tensorCount: 2,
  bytes: 10,
  ...(kind === 'delta' ? { baseVersion: version - 1 } : {}),
});

/** SGLang's documented `/update_weights_from_disk` request (`UpdateWeightFromDiskReqInput`: model_path, load_format, abort_all_requests, weight_version). */
const SglangUpdateBody = z.strictObject({
  model_path: z.string().min(1),
  load_format: z.string().optional(),
  abort_all_requests: z.boolean().optional(),
  weight_version: z.string().optional(),
});

async function fakeSglang(options: { fail?: string } = {}) {
  const state = { version: 'default' as string };
  const server = await startFakeServer({
    'POST /update_weights_from_disk': {
      schema: SglangUpdateBody,
      answer(body) {
        const { weight_version: version, model_path: path } = body as z.output<typeof SglangUpdateBody>;
        if (options.fail)
          return {
            status: 400,
            body: { success: false, message: `Failed to update weights: ${options.fail} (${path})` },
          };
        if (version !== undefined) state.version = version;
        return {
          status: 200,
          body: { success: true, message: 'Succeeded to update model weights.', num_paused_requests: 0 },
        };
      },
    },
    'GET /get_weight_version': { answer: () => ({ status: 200, body: { weight_version: state.version } }) },
  });
  servers.push(server);
  return server;
}

describe('SGLang target', () => {
  it('loads through /update_weights_from_disk with the version as a string and confirms it with /get_weight_version', async () => {
    const server = await fakeSglang();
    const target = createSglangTarget({ baseUrl: `${server.url}/v1`, loadFormat: 'safetensors' });
    expect(target.baseUrl).toBe(server.url);
    expect(await target.loadedVersion()).toBeUndefined(); // 'default': weights no publisher wrote
    expect(await target.loadWeights(weights(4))).toBe(4);
    expect(server.received.find((r) => r.path === '/update_weights_from_disk')?.body).toEqual({
      model_path: weights(4).path,
      weight_version: '4',
      load_format: 'safetensors',
    });
    expect(await target.loadedVersion()).toBe(4);
    expect(server.badRequests).toEqual([]);
  });

  it('reads the version of a response from metadata.weight_version, strictly', () => {
    const target = createSglangTarget({ baseUrl: 'http://127.0.0.1:1' });
    expect(target.versionOfResponse({ choices: [], metadata: { weight_version: '12' } })).toBe(12);
    expect(target.versionOfResponse({ choices: [], metadata: { weight_version: 'v12' } })).toBeUndefined();
    expect(target.versionOfResponse({ choices: [] })).toBeUndefined();
  });

  it("turns a failed load into a WeightSyncError with SGLang's message, and refuses deltas", async () => {
    const server = await fakeSglang({ fail: 'shape mismatch in model.layers.0.mlp.up_proj.weight' });
    const target = createSglangTarget({ baseUrl: server.url });
    const error = await target.loadWeights(weights(1)).catch((e: unknown) => e);
    expect(WeightSyncError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /could not load policy version 1: HTTP 400: Failed to update weights: shape mismatch in model\.layers\.0/,
    );
    await expect(target.loadWeights(weights(2, 'delta'))).rejects.toThrow(/mode full/);
  });

  it('names the server when it cannot be reached (a transport failure, with its cause)', async () => {
    const target = createSglangTarget({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 2000 });
    const error = (await target.loadWeights(weights(0)).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(
      /^http:\/\/127\.0\.0\.1:9: could not load policy version 0: POST http:\/\/127\.0\.0\.1:9\/update_weights_from_disk failed/,
    );
    expect(error.cause).toBeDefined();
  });
});

/** vLLM's documented runtime LoRA requests. */
const LoadLora = z.strictObject({
  lora_name: z.string().min(1),
  lora_path: z.string().min(1),
  load_inplace: z.boolean().optional(),
});
const UnloadLora = z.strictObject({ lora_name: z.string().min(1), lora_int_id: z.number().optional() });

describe('vLLM LoRA target', () => {
  it('loads each version as adapter policy-v<N>, unloads the previous one, and reads versions from model names', async () => {
    const adapters = new Set<string>();
    const server = await startFakeServer({
      'POST /v1/load_lora_adapter': {
        schema: LoadLora,
        answer(body) {
          const { lora_name: name } = body as z.output<typeof LoadLora>;
          if (adapters.has(name))
            return {
              status: 400,
              body: {
                object: 'error',
                message: `The lora adapter '${name}' has already been loaded.`,
                type: 'InvalidUserInput',
                code: 400,
              },
            };
          adapters.add(name);
          return { status: 200, body: `Success: LoRA adapter '${name}' added successfully.` };
        },
      },
      'POST /v1/unload_lora_adapter': {
        schema: UnloadLora,
        answer(body) {
          adapters.delete((body as z.output<typeof UnloadLora>).lora_name);
          return { status: 200, body: 'Success' };
        },
      },
      'GET /v1/models': {
        answer: () => ({
          status: 200,
          body: {
            object: 'list',
            data: [
              { id: 'Qwen/Qwen2.5-Math-1.5B', parent: null },
              ...[...adapters].map((id) => ({ id, parent: 'Qwen/Qwen2.5-Math-1.5B' })),
            ],
          },
        }),
      },
    });
    servers.push(server);
    const target = createVllmLoraTarget({ baseUrl: server.url });
    expect(target.requestModel()).toBeUndefined();
    expect(await target.loadedVersion()).toBeUndefined();
    await target.loadWeights(weights(1));
    await target.loadWeights(weights(2));
    expect([...adapters]).toEqual(['policy-v2']);
    expect(target.requestModel()).toBe('policy-v2');
    expect(await target.loadedVersion()).toBe(2);
    expect(target.versionOfResponse({ model: 'policy-v2', choices: [] })).toBe(2);
    expect(target.versionOfResponse({ model: 'Qwen/Qwen2.5-Math-1.5B', choices: [] })).toBeUndefined();
    await expect(target.loadWeights(weights(2))).rejects.toThrow(/already been loaded/);
    expect(server.badRequests).toEqual([]);
  });
});

describe('version parsing', () => {
  it('accepts non-negative integers and decimal strings only', () => {
    expect([0, 7, '0', '42'].map(parseVersion)).toEqual([0, 7, 0, 42]);
    expect([-1, 1.5, '01', 'v3', '', null, undefined, {}].map(parseVersion)).toEqual(
      Array(8).fill(undefined),
    );
    expect(['policy-v0', 'policy-v10', 'policy-v01', 'policy'].map(versionOfAdapter)).toEqual([
      0,
      10,
      undefined,
      undefined,
    ]);
  });
});
