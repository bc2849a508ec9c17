/**
 * What `POST /v1/load_weights` does between batches: check the folder's `version.json` (when it
 * has one) against the request and the server's version, then reload the weights in place.
 */
import { join } from 'node:path';
import { OrealError } from '@oreal-ts/core';
import { hasPublishedVersion, readPublishedVersion, VERSION_FILE } from '@oreal-ts/tensor-model';
import type { WeightVersion } from './request-batcher';
import type { LoadWeightsRequest } from './request-schemas';

/** In-place weight reload (a `TransformerPolicy`'s `reloadWeights`): checks everything before changing any weight. */
export type ReloadWeights = (
  dir: string,
  options: { allowPartial: boolean; tensorSha256?: Readonly<Record<string, string>> },
) => Promise<unknown>;

/** A refused load with the HTTP status to answer. */
export class LoadWeightsError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Load `request.path` as `request.version` on a server holding `current`. A folder with a
 * `version.json` (a publisher wrote it) must say the same version; a delta needs `current` to be
 * its `baseVersion` (else 409) and is applied on top, and every tensor read is checked against its
 * listed sha256. A plain HF folder is loaded whole. Failures reject with `LoadWeightsError` (400
 * for a bad folder) and change nothing.
 */
export async function loadWeightsFolder(
  request: LoadWeightsRequest,
  current: WeightVersion,
  reload: ReloadWeights,
): Promise<WeightVersion> {
  try {
    if (await hasPublishedVersion(request.path)) {
      const meta = await readPublishedVersion(request.path);
      const file = join(request.path, VERSION_FILE);
      if (meta.version !== request.version) {
        throw new LoadWeightsError(
          400,
          `${file} says version ${meta.version}, but the request asks to load it as version ${request.version}`,
        );
      }
      if (meta.kind === 'delta' && current !== meta.baseVersion) {
        throw new LoadWeightsError(
          409,
          `${request.path} is a delta on version ${meta.baseVersion}, but this server holds version ${current ?? 'null (weights no publisher wrote)'}; load version ${meta.baseVersion} or a full version first`,
        );
      }
      await reload(request.path, { allowPartial: meta.kind === 'delta', tensorSha256: meta.tensors });
    } else {
      await reload(request.path, { allowPartial: false });
    }
    return request.version;
  } catch (error) {
    if (error instanceof LoadWeightsError) throw error;
    if (OrealError.is(error)) throw new LoadWeightsError(400, error.message);
    throw error;
  }
}
