import { resolve } from 'node:path';
import {
  ConfigError,
  type Tokenizer,
  type TrainablePolicy,
  type WeightPublisher,
  type WeightSyncTarget,
} from '@oreal-ts/core';
import {
  createFleet,
  createOrealServeTarget,
  createSglangTarget,
  createVllmLoraTarget,
  type Fleet,
} from '@oreal-ts/fleet';
import { createOpenAISampler } from '@oreal-ts/sampler';
import { createCheckpointPublisher, type TransformerPolicy } from '@oreal-ts/tensor-model';
import type { Sampler } from '@oreal-ts/core';
import type { OrealConfig } from '../config/schema';
import { promptTemplateFor } from './prompt-templates';

/** The weight-sync side of a run over a fleet: the fleet (a `WeightSync`) and the sampler that draws from it. */
export interface FleetComponents {
  readonly fleet: Fleet;
  readonly sampler: Sampler;
  /** The publisher writing under `<runDir>/<fleet.publishDir>` (built once the run folder is known). */
  publisherFor(runDir: string): WeightPublisher;
}

/** Strip a trailing `/v1` (and slashes): weight-sync targets take the server's root URL. */
export function serverRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
}

function targetFor(config: OrealConfig, baseUrl: string): WeightSyncTarget {
  const root = serverRoot(baseUrl);
  switch (config.fleet.weightSync) {
    case 'oreal':
      return createOrealServeTarget({ baseUrl: root });
    case 'sglang':
      return createSglangTarget({ baseUrl: root });
    case 'vllm':
      return createVllmLoraTarget({ baseUrl: root });
    default:
      throw new ConfigError('fleet.weightSync', `internal: no target for ${config.fleet.weightSync}`);
  }
}

/**
 * `fleet.weightSync` other than `none`: a fleet over `sampler.baseUrls` with the engine's
 * weight-sync adapter, an OpenAI sampler that takes its servers from the fleet (only those at the
 * current version) and reads each response's policy version, and the checkpoint publisher.
 */
export function createFleetComponents(
  config: OrealConfig,
  policy: TrainablePolicy,
  _tokenizer: Tokenizer,
): FleetComponents {
  if (config.sampler.type !== 'openai') {
    throw new ConfigError(
      'fleet.weightSync',
      `is '${config.fleet.weightSync}' but sampler.type is '${config.sampler.type}'; weight sync needs sampler.type: openai and the servers in sampler.baseUrls`,
    );
  }
  if (config.fleet.weightSync === 'vllm') {
    throw new ConfigError(
      'fleet.weightSync',
      "'vllm' loads LoRA adapters (vLLM's documented runtime reload from disk), but the built-in policy trains every weight and publishes full checkpoints; use 'sglang' or 'oreal', or publish PEFT adapters from your own trainer with createVllmLoraTarget",
    );
  }
  if (config.fleet.mode === 'delta' && config.fleet.weightSync !== 'oreal') {
    throw new ConfigError(
      'fleet.mode',
      `'delta' is understood by oreal serve only; use mode: full with weightSync '${config.fleet.weightSync}'`,
    );
  }
  const candidate = policy as Partial<TransformerPolicy>;
  if (typeof candidate.huggingFaceWeights !== 'function') {
    throw new ConfigError(
      'fleet.weightSync',
      `publishing weights needs a @oreal-ts/tensor-model policy; ${policy.id} cannot write Hugging Face checkpoints`,
    );
  }
  const fleet = createFleet({
    targets: config.sampler.baseUrls.map((url) => targetFor(config, url)),
    concurrencyPerServer: config.sampler.concurrencyPerUrl,
    probeIntervalMs: config.fleet.probeIntervalMs,
  });
  const apiKey = process.env[config.sampler.apiKeyEnv];
  const sampler = createOpenAISampler({
    baseUrls: config.sampler.baseUrls,
    model: config.sampler.model,
    mode: config.sampler.mode,
    prompt: promptTemplateFor(config.data.promptTemplate),
    ...(apiKey ? { apiKey } : {}),
    concurrencyPerUrl: config.sampler.concurrencyPerUrl,
    maxRetries: config.sampler.maxRetries,
    timeoutMs: config.sampler.timeoutMs,
    tokenIds: config.sampler.tokenIds,
    pool: fleet,
    versionOfResponse: (url, body) => fleet.versionOfResponse(url, body),
    modelFor: (url) => fleet.modelFor(url),
    id: 'oreal-ts/openai-sampler+fleet',
  });
  return {
    fleet,
    sampler,
    publisherFor: (runDir) =>
      createCheckpointPublisher({
        policy: policy as TransformerPolicy,
        dir: resolve(runDir, config.fleet.publishDir),
        keep: config.fleet.keep,
        mode: config.fleet.mode,
        dtype: config.fleet.dtype,
      }),
  };
}
