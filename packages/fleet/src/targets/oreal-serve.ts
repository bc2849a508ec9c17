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

const LoadAnswer = z.looseObject({
  version: z.number().int().min(0),
  path: z.string().optional(),
  seconds: z.number().optional(),
});
const ModelsAnswer = z.looseObject({
  data: z
    .array(z.looseObject({ id: z.string(), weight_version: z.number().int().min(0).nullable().optional() }))
    .min(1),
});

/** Options of `createOrealServeTarget`. */
export interface OrealServeTargetOptions extends HttpOptions {
  /** The server's base URL (`/v1` is accepted and stripped). */
  readonly baseUrl: string;
}

/**
 * An `oreal serve` process as a weight-sync target: `POST /v1/load_weights {path, version}`
 * (the server finishes the batch it is decoding on the old weights, loads, then decodes new
 * requests with the new ones; a failed load keeps the old weights and answers 400 with the
 * reason), `GET /v1/models` for the loaded version, and the top-level `weight_version` of every
 * completion response. Delta folders are understood.
 */
export function createOrealServeTarget(options: OrealServeTargetOptions): WeightSyncTarget {
  const baseUrl = serverRoot(options.baseUrl);
  return {
    specificationVersion: 'v1',
    id: 'oreal-ts/fleet/oreal-serve',
    baseUrl,
    async loadWeights(weights: PublishedWeights, call = {}) {
      const answer = await postLoad(
        { baseUrl, timeoutMs: options.timeoutMs ?? 600_000, signal: call.signal, fetch: options.fetch },
        '/v1/load_weights',
        { path: weights.path, version: weights.version },
        weights.version,
      );
      if (answer.status < 200 || answer.status >= 300)
        throw new WeightSyncError(baseUrl, weights.version, `HTTP ${answer.status}: ${errorMessage(answer)}`);
      const loaded = parseAnswer(
        LoadAnswer,
        answer,
        baseUrl,
        weights.version,
        'POST /v1/load_weights',
      ).version;
      if (loaded !== weights.version)
        throw new WeightSyncError(
          baseUrl,
          weights.version,
          `the server reports version ${loaded} after the load`,
        );
      return loaded;
    },
    async loadedVersion(call = {}) {
      const body = await getJson(
        { baseUrl, timeoutMs: options.timeoutMs ?? 10_000, signal: call.signal, fetch: options.fetch },
        '/v1/models',
      );
      const parsed = ModelsAnswer.safeParse(body);
      if (!parsed.success) throw new Error(`${baseUrl}/v1/models: unexpected body (no data[0])`);
      return parseVersion(parsed.data.data[0]?.weight_version);
    },
    versionOfResponse(body: unknown) {
      return typeof body === 'object' && body !== null
        ? parseVersion((body as { weight_version?: unknown }).weight_version)
        : undefined;
    },
  };
}
