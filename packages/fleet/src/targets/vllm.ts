import { z } from 'zod';
import { WeightSyncError, type PublishedWeights, type WeightSyncTarget } from '@oreal-ts/core';
import { errorMessage, getJson, postLoad, serverRoot, type HttpOptions } from '../http';

/** Options of `createVllmLoraTarget`. */
export interface VllmLoraTargetOptions extends HttpOptions {
  /** The server's base URL (`/v1` is accepted and stripped). */
  readonly baseUrl: string;
  /** Adapter name of a version: default `policy-v<version>`. Must be what `versionOfAdapter` reads back. */
  readonly adapterName?: (version: number) => string;
  /** Unload the previous version's adapter after a new one loaded (keeps the server's LoRA slots free). Default true. */
  readonly unloadPrevious?: boolean;
}

const ModelsAnswer = z.looseObject({
  data: z.array(z.looseObject({ id: z.string(), parent: z.string().nullable().optional() })),
});

/** The version in an adapter name `policy-v<version>`, else undefined. */
export function versionOfAdapter(name: unknown): number | undefined {
  if (typeof name !== 'string') return undefined;
  const match = /^policy-v(0|[1-9]\d*)$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** A weight-sync target that also names the `model` each request must ask for (the adapter of the current version). */
export interface ModelNamingTarget extends WeightSyncTarget {
  /** The `model` field requests to this server must carry now (undefined before the first load). */
  requestModel(): string | undefined;
}

/**
 * A vLLM OpenAI server (`vllm serve <base> --enable-lora --max-lora-rank R` with the environment
 * variable `VLLM_ALLOW_RUNTIME_LORA_UPDATING=True`) as a weight-sync target through vLLM's
 * documented runtime LoRA endpoints: `POST /v1/load_lora_adapter {lora_name, lora_path}` and
 * `POST /v1/unload_lora_adapter {lora_name}`. Each published version is a PEFT LoRA adapter
 * folder loaded under the name `policy-v<version>`; requests ask for that name as `model`, and the
 * `model` field of vLLM's answer names the adapter that produced it — so the version of every
 * response is read from the server, never guessed. The loaded version is the newest
 * `policy-v<N>` in `GET /v1/models`.
 *
 * vLLM's documented online weight updates of the full model go through its NCCL/IPC weight
 * transfer engine rather than files on disk, so this adapter does not cover full-weight reloads;
 * see the package README.
 */
export function createVllmLoraTarget(options: VllmLoraTargetOptions): ModelNamingTarget {
  const baseUrl = serverRoot(options.baseUrl);
  const nameOf = options.adapterName ?? ((version: number) => `policy-v${version}`);
  let current: number | undefined;

  const post = async (path: string, body: unknown, version: number, signal?: AbortSignal) => {
    const answer = await postLoad(
      { baseUrl, timeoutMs: options.timeoutMs ?? 600_000, signal, fetch: options.fetch },
      path,
      body,
      version,
    );
    if (answer.status < 200 || answer.status >= 300)
      throw new WeightSyncError(baseUrl, version, `${path}: HTTP ${answer.status}: ${errorMessage(answer)}`);
  };

  return {
    specificationVersion: 'v1',
    id: 'oreal-ts/fleet/vllm-lora',
    baseUrl,
    async loadWeights(weights: PublishedWeights, call = {}) {
      if (weights.kind !== 'full')
        throw new WeightSyncError(
          baseUrl,
          weights.version,
          'vLLM loads whole adapter folders; publish with mode full',
        );
      await post(
        '/v1/load_lora_adapter',
        { lora_name: nameOf(weights.version), lora_path: weights.path },
        weights.version,
        call.signal,
      );
      const previous = current;
      current = weights.version;
      if ((options.unloadPrevious ?? true) && previous !== undefined && previous !== weights.version) {
        // Best effort: the new adapter is loaded and answers; a stale one left loaded only takes a slot.
        await post(
          '/v1/unload_lora_adapter',
          { lora_name: nameOf(previous) },
          weights.version,
          call.signal,
        ).catch(() => undefined);
      }
      return weights.version;
    },
    async loadedVersion(call = {}) {
      const body = await getJson(
        { baseUrl, timeoutMs: options.timeoutMs ?? 10_000, signal: call.signal, fetch: options.fetch },
        '/v1/models',
      );
      const parsed = ModelsAnswer.safeParse(body);
      if (!parsed.success) throw new Error(`${baseUrl}/v1/models: unexpected body`);
      const versions = parsed.data.data
        .map((m) => versionOfAdapter(m.id))
        .filter((v): v is number => v !== undefined);
      return versions.length === 0 ? undefined : Math.max(...versions);
    },
    versionOfResponse(body: unknown) {
      return typeof body === 'object' && body !== null
        ? versionOfAdapter((body as { model?: unknown }).model)
        : undefined;
    },
    requestModel() {
      return current === undefined ? undefined : nameOf(current);
    },
  };
}
