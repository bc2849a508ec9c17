import { z } from 'zod';
import { WeightSyncError, type PublishedWeights, type WeightSyncTarget } from '@oreal-ts/core';
import {
  errorMessage,
  getJson,
  parseAnswer,
  parseVersion,
  postLoad,
  serverRoot,
  type HttpOptions,
} from '../http';

/** `POST /update_weights_from_disk`'s answer (SGLang `UpdateWeightFromDiskReqOutput`). */
const UpdateAnswer = z.looseObject({ success: z.boolean(), message: z.string().optional().default('') });
/** `GET /get_weight_version`'s answer. */
const VersionAnswer = z.looseObject({
  weight_version: z.union([z.string(), z.number()]).nullable().optional(),
});

/** Options of `createSglangTarget`. */
export interface SglangTargetOptions extends HttpOptions {
  /** The server's base URL (`/v1` is accepted and stripped). */
  readonly baseUrl: string;
  /** SGLang's `load_format` for the folder (e.g. `auto`, `safetensors`); omitted by default. */
  readonly loadFormat?: string;
  /**
   * Abort the requests in flight instead of letting them finish on the old weights. Default false
   * (under the sync schedule nothing is in flight during a load).
   */
  readonly abortAllRequests?: boolean;
}

/**
 * An SGLang server (`python -m sglang.launch_server`, a version with weight versions, see the
 * README) as a weight-sync target, through its documented native endpoints:
 * `POST /update_weights_from_disk {model_path, weight_version, load_format?, abort_all_requests?}`
 * → `{success, message}`, `GET /get_weight_version` → `{weight_version}`. SGLang keeps versions
 * as strings: ours are sent as decimal strings and read back strictly. The version behind a
 * completion is its response's `metadata.weight_version` (SGLang's OpenAI-compatible responses
 * carry it). Full checkpoints only: SGLang reloads a whole folder.
 */
export function createSglangTarget(options: SglangTargetOptions): WeightSyncTarget {
  const baseUrl = serverRoot(options.baseUrl);
  const loadedVersion = async (call: { readonly signal?: AbortSignal } = {}): Promise<number | undefined> => {
    const body = await getJson(
      { baseUrl, timeoutMs: options.timeoutMs ?? 10_000, signal: call.signal, fetch: options.fetch },
      '/get_weight_version',
    );
    const parsed = VersionAnswer.safeParse(body);
    if (!parsed.success) throw new Error(`${baseUrl}/get_weight_version: unexpected body`);
    return parseVersion(parsed.data.weight_version);
  };
  return {
    specificationVersion: 'v1',
    id: 'oreal-ts/fleet/sglang',
    baseUrl,
    async loadWeights(weights: PublishedWeights, call = {}) {
      if (weights.kind !== 'full')
        throw new WeightSyncError(
          baseUrl,
          weights.version,
          'SGLang reloads whole checkpoint folders; publish with mode full',
        );
      const answer = await postLoad(
        { baseUrl, timeoutMs: options.timeoutMs ?? 600_000, signal: call.signal, fetch: options.fetch },
        '/update_weights_from_disk',
        {
          model_path: weights.path,
          weight_version: String(weights.version),
          ...(options.loadFormat ? { load_format: options.loadFormat } : {}),
          ...(options.abortAllRequests ? { abort_all_requests: true } : {}),
        },
        weights.version,
      );
      if (answer.status < 200 || answer.status >= 300) {
        // SGLang answers a failed load with HTTP 400 and the same {success: false, message} body.
        const failed = UpdateAnswer.safeParse(answer.body);
        throw new WeightSyncError(
          baseUrl,
          weights.version,
          `HTTP ${answer.status}: ${failed.success && failed.data.message ? failed.data.message : errorMessage(answer)}`,
        );
      }
      const update = parseAnswer(
        UpdateAnswer,
        answer,
        baseUrl,
        weights.version,
        'POST /update_weights_from_disk',
      );
      if (!update.success)
        throw new WeightSyncError(baseUrl, weights.version, update.message || 'success: false');
      const loaded = await loadedVersion(call);
      if (loaded !== weights.version)
        throw new WeightSyncError(
          baseUrl,
          weights.version,
          `the server reports weight_version ${String(loaded)} after the load`,
        );
      return loaded;
    },
    loadedVersion,
    versionOfResponse(body: unknown) {
      if (typeof body !== 'object' || body === null) return undefined;
      const metadata = (body as { metadata?: unknown }).metadata;
      return typeof metadata === 'object' && metadata !== null
        ? parseVersion((metadata as { weight_version?: unknown }).weight_version)
        : undefined;
    },
  };
}
