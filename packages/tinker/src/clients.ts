import { ConfigError, InvalidArgumentError, parseConfig } from '@oreal-ts/core';
import { TinkerRequestError, TinkerTransport, redact, type TinkerBackoff } from './transport';
import {
  AdamParamsSchema,
  CreateModelResponseSchema,
  CreateSamplingSessionResponseSchema,
  CreateSessionResponseSchema,
  ForwardBackwardOutputSchema,
  GetInfoResponseSchema,
  OptimStepResponseSchema,
  PathResponseSchema,
  ROW_SEEDS_EXTENSION,
  PROMPT_SPLIT_EXTENSION,
  SampleResponseSchema,
  SamplingParamsSchema,
  ServerCapabilitiesSchema,
  SessionHeartbeatResponseSchema,
  type AdamParamsInput,
  type Datum,
  type ForwardBackwardOutput,
  type GetInfoResponse,
  type LossFn,
  type OptimStepResponse,
  type SampleRequest,
  type SampleResponse,
  type SamplingParamsInput,
  type ServerCapabilities,
} from './wire';
import type { z } from 'zod';

/** Version string sent in `create_session`. */
export const SDK_VERSION = 'oreal-ts-tinker/0.0.0';

/** Options of `createTinkerServiceClient`. */
export interface TinkerServiceOptions {
  /** Service root, e.g. `http://127.0.0.1:8000` (no `/api/v1`). Default: env `TINKER_BASE_URL` (required one way or the other). */
  readonly baseUrl?: string;
  /** API key, sent as `X-API-Key`. Default: env `TINKER_API_KEY`; none = no header (local servers). Never logged. */
  readonly apiKey?: string;
  /** fetch implementation. Default `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  /** Overall limit of one call (a direct op, or a future from submission to its result). Default 600,000 ms. */
  readonly timeoutMs?: number;
  /** Limit of one HTTP attempt. Default 60,000 ms (capped by the call's remaining time). */
  readonly requestTimeoutMs?: number;
  /** Retries in a row after network errors / 5xx. Default 5. */
  readonly maxRetries?: number;
  /** Wait between polls of a pending future. Default 200 ms. */
  readonly pollIntervalMs?: number;
  /** Session heartbeat period. Default 10,000 ms. */
  readonly heartbeatIntervalMs?: number;
  /** Retry back-off. Default 250 ms doubling to 10,000 ms, equal jitter. */
  readonly backoff?: TinkerBackoff;
  /** Session tags. Default `['oreal-ts']`. */
  readonly tags?: readonly string[];
  /** Environment to read `TINKER_*` from. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Receives non-fatal problems (a failed heartbeat). Never receives the key. */
  readonly onWarning?: (message: string) => void;
  /** Random source for jitter. Default `Math.random`. */
  readonly random?: () => number;
}

/** Options of `createLoraTrainingClient`. */
export interface LoraTrainingOptions {
  readonly baseModel: string;
  readonly rank: number;
  readonly trainMlp?: boolean;
  readonly trainAttn?: boolean;
  readonly trainUnembed?: boolean;
  readonly seed?: number;
  readonly userMetadata?: Readonly<Record<string, unknown>>;
}

/** Sample request of `SamplingClient.sample`. */
export interface SampleInput {
  /** Prompt token ids. */
  readonly prompt: readonly number[];
  readonly numSamples: number;
  readonly samplingParams: SamplingParamsInput;
  /** oreal row-seed key (sent only when the server advertises `row-seeds`). */
  readonly rowSeedKey?: string;
  readonly promptLogprobs?: boolean;
}

/** How the data of a forward / forward_backward was built: prompt tokens per datum (sent only to servers with `prompt-split`). */
export interface DatumLayout {
  readonly promptLengths: readonly number[];
}

/** A LoRA training run on the service. Ops carry a per-model `seq_id` increasing by one per op, submitted in call order. */
export interface TrainingClient {
  readonly modelId: string;
  readonly baseModel: string;
  /** Forward only (no gradient): per-position outputs, e.g. `logprobs`. Default loss `cross_entropy`. */
  forward(data: readonly Datum[], lossFn?: LossFn, lossFnConfig?: Readonly<Record<string, number>>, layout?: DatumLayout): Promise<ForwardBackwardOutput>;
  /** Forward and backward: the loss's gradient is ADDED to the service's accumulated gradients. */
  forwardBackward(data: readonly Datum[], lossFn: LossFn, lossFnConfig?: Readonly<Record<string, number>>, layout?: DatumLayout): Promise<ForwardBackwardOutput>;
  /** One AdamW step with the accumulated gradients (which the service then clears). */
  optimStep(adamParams: AdamParamsInput): Promise<OptimStepResponse>;
  /** Save sampler weights under `name`; returns their `tinker://` path. */
  saveWeightsForSampler(name: string): Promise<string>;
  /** Save weights + optimiser state (`save_weights`) under `name`; returns the `tinker://` path. */
  saveState(name: string): Promise<string>;
  /** Load a path from `saveState`; `optimizer: true` restores the optimiser state too. */
  loadState(path: string, options: { optimizer: boolean }): Promise<string>;
  /** Model metadata. */
  getInfo(): Promise<GetInfoResponse>;
}

/** A sampling session for saved weights or a base model. */
export interface SamplingClient {
  readonly samplingSessionId: string;
  readonly modelPath: string | undefined;
  readonly baseModel: string | undefined;
  /** `num_samples` completions of one prompt. */
  sample(input: SampleInput): Promise<SampleResponse>;
}

/** Entry point: sessions, capabilities, training and sampling clients. */
export interface TinkerServiceClient {
  readonly baseUrl: string;
  /** `get_server_capabilities` (fetched once, then cached). */
  getServerCapabilities(): Promise<ServerCapabilities>;
  /** Whether the server advertises an oreal extension (e.g. `row-seeds`). */
  supportsExtension(name: string): Promise<boolean>;
  /** The session id (the session is created on first use, then kept alive by a heartbeat). */
  sessionId(): Promise<string>;
  createLoraTrainingClient(options: LoraTrainingOptions): Promise<TrainingClient>;
  createSamplingClient(target: { readonly modelPath: string } | { readonly baseModel: string }): Promise<SamplingClient>;
  /** Stop the heartbeat and abort in-flight calls. Safe to call twice. */
  close(): void;
}

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  const resolved = value ?? fallback;
  if (!Number.isFinite(resolved) || resolved < min) throw new ConfigError(`tinker.${name}`, `must be a number ≥ ${min}, got ${resolved}`);
  return resolved;
}

/**
 * A client of the Tinker API (written from the public API reference and SDK request shapes).
 * Reads `TINKER_BASE_URL` / `TINKER_API_KEY` when not given; the key is sent as `X-API-Key` and
 * redacted from every error. The session is created lazily and kept alive by an unref'd heartbeat
 * interval that `close()` stops.
 */
export function createTinkerServiceClient(options: TinkerServiceOptions = {}): TinkerServiceClient {
  const env = options.env ?? process.env;
  const rawBase = options.baseUrl ?? env['TINKER_BASE_URL'];
  if (!rawBase) throw new ConfigError('tinker.baseUrl', 'no service URL: pass baseUrl or set TINKER_BASE_URL');
  const apiKey = options.apiKey ?? (env['TINKER_API_KEY'] || undefined);
  let baseUrl: string;
  try {
    baseUrl = new URL(rawBase).toString().replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  } catch {
    throw new ConfigError('tinker.baseUrl', `not a URL: ${redact(rawBase, [apiKey])}`);
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const transport = new TinkerTransport({
    baseUrl,
    apiKey,
    fetch: fetchImpl,
    timeoutMs: positive('timeoutMs', options.timeoutMs, 600_000),
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, 60_000),
    maxRetries: positive('maxRetries', options.maxRetries, 5, 0),
    pollIntervalMs: positive('pollIntervalMs', options.pollIntervalMs, 200, 0),
    backoff: options.backoff ?? { initialMs: 250, maxMs: 10_000 },
    random: options.random ?? Math.random,
  });
  const heartbeatMs = positive('heartbeatIntervalMs', options.heartbeatIntervalMs, 10_000);
  const warn = options.onWarning ?? (() => undefined);
  let capabilities: Promise<ServerCapabilities> | undefined;
  let session: Promise<string> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let modelSeq = 0;
  let samplingSeq = 0;

  const getServerCapabilities = (): Promise<ServerCapabilities> => {
    capabilities ??= transport.direct('get_server_capabilities', 'GET', undefined, ServerCapabilitiesSchema).catch((error: unknown) => {
      capabilities = undefined;
      throw error;
    });
    return capabilities;
  };

  const sessionId = (): Promise<string> => {
    session ??= transport
      .direct('create_session', 'POST', { tags: [...(options.tags ?? ['oreal-ts'])], sdk_version: SDK_VERSION, type: 'create_session' }, CreateSessionResponseSchema)
      .then(({ session_id }) => {
        if (!transport.closed) {
          heartbeat = setInterval(() => {
            transport
              .direct('session_heartbeat', 'POST', { session_id, type: 'session_heartbeat' }, SessionHeartbeatResponseSchema)
              .catch((error: unknown) => {
                if (!transport.closed) warn(error instanceof Error ? error.message : String(error));
              });
          }, heartbeatMs);
          heartbeat.unref();
        }
        return session_id;
      })
      .catch((error: unknown) => {
        session = undefined;
        throw error;
      });
    return session;
  };

  const supportsExtension = async (name: string): Promise<boolean> => ((await getServerCapabilities()).oreal_extensions ?? []).includes(name);

  return {
    baseUrl,
    getServerCapabilities,
    supportsExtension,
    sessionId,
    async createLoraTrainingClient(lora: LoraTrainingOptions): Promise<TrainingClient> {
      if (!lora.baseModel) throw new InvalidArgumentError('baseModel', 'must be a model name');
      if (!Number.isInteger(lora.rank) || lora.rank < 1) throw new InvalidArgumentError('rank', `must be a positive integer, got ${lora.rank}`);
      const session_id = await sessionId();
      const { model_id } = await transport.future(
        'create_model',
        {
          session_id,
          model_seq_id: modelSeq++,
          base_model: lora.baseModel,
          lora_config: {
            rank: lora.rank,
            ...(lora.trainMlp === undefined ? {} : { train_mlp: lora.trainMlp }),
            ...(lora.trainAttn === undefined ? {} : { train_attn: lora.trainAttn }),
            ...(lora.trainUnembed === undefined ? {} : { train_unembed: lora.trainUnembed }),
            ...(lora.seed === undefined ? {} : { seed: lora.seed }),
          },
          ...(lora.userMetadata === undefined ? {} : { user_metadata: lora.userMetadata }),
          type: 'create_model',
        },
        CreateModelResponseSchema,
      );
      return createTrainingClient(transport, baseUrl, model_id, lora.baseModel, supportsExtension);
    },
    async createSamplingClient(target): Promise<SamplingClient> {
      const session_id = await sessionId();
      const modelPath = 'modelPath' in target ? target.modelPath : undefined;
      const baseModel = 'baseModel' in target ? target.baseModel : undefined;
      if (!modelPath && !baseModel) throw new InvalidArgumentError('target', 'give a modelPath or a baseModel');
      const { sampling_session_id } = await transport.direct(
        'create_sampling_session',
        'POST',
        {
          session_id,
          sampling_session_seq_id: samplingSeq++,
          ...(modelPath ? { model_path: modelPath } : { base_model: baseModel }),
          type: 'create_sampling_session',
        },
        CreateSamplingSessionResponseSchema,
      );
      let seq = 0;
      return {
        samplingSessionId: sampling_session_id,
        modelPath,
        baseModel,
        async sample(input: SampleInput): Promise<SampleResponse> {
          if (!Number.isInteger(input.numSamples) || input.numSamples < 1) throw new InvalidArgumentError('numSamples', `must be a positive integer, got ${input.numSamples}`);
          if (input.prompt.length === 0) throw new InvalidArgumentError('prompt', 'must hold at least one token');
          const samplingParams = parseConfig(SamplingParamsSchema, input.samplingParams, 'samplingParams');
          const rowSeeds = input.rowSeedKey !== undefined && (await supportsExtension(ROW_SEEDS_EXTENSION));
          const body: SampleRequest = {
            num_samples: input.numSamples,
            prompt: { chunks: [{ type: 'encoded_text', tokens: [...input.prompt] }] },
            sampling_params: samplingParams,
            sampling_session_id,
            seq_id: seq++,
            ...(input.promptLogprobs ? { prompt_logprobs: true } : {}),
            ...(rowSeeds ? { oreal_row_seed_key: input.rowSeedKey } : {}),
            type: 'sample',
          };
          const result = await transport.future('asample', body, SampleResponseSchema);
          if (result.sequences.length !== input.numSamples) {
            throw new TinkerRequestError(baseUrl, 200, 'asample', undefined, 'invalid-response', `invalid response body: field 'sequences': expected ${input.numSamples} sequences, got ${result.sequences.length}`);
          }
          return result;
        },
      };
    },
    close() {
      if (heartbeat !== undefined) clearInterval(heartbeat);
      heartbeat = undefined;
      transport.close();
    },
  };
}

function createTrainingClient(
  transport: TinkerTransport,
  baseUrl: string,
  modelId: string,
  baseModel: string,
  supportsExtension: (name: string) => Promise<boolean>,
): TrainingClient {
  let seq = 1;
  let submissions: Promise<unknown> = Promise.resolve();
  /** Assign the next seq_id now, submit after the previous op's submission, poll concurrently. */
  const run = <S extends z.ZodType>(op: string, body: Record<string, unknown> | Promise<Record<string, unknown>>, schema: S): Promise<z.output<S>> => {
    const seq_id = seq++;
    const submitted = submissions.then(async () => transport.submit(op, { model_id: modelId, seq_id, ...(await body), type: op }));
    submissions = submitted.catch(() => undefined);
    return submitted.then(({ requestId, deadline }) => transport.awaitFuture(op, requestId, deadline, schema));
  };
  const checked = async (op: string, data: readonly Datum[], promise: Promise<ForwardBackwardOutput>): Promise<ForwardBackwardOutput> => {
    const output = await promise;
    if (output.loss_fn_outputs.length !== data.length) {
      throw new TinkerRequestError(baseUrl, 200, op, undefined, 'invalid-response', `invalid response body: field 'loss_fn_outputs': expected ${data.length} outputs (one per datum), got ${output.loss_fn_outputs.length}`);
    }
    return output;
  };
  /** `oreal_prompt_lengths`, only for a server that advertises `prompt-split`. */
  const layoutField = async (layout: DatumLayout | undefined, count: number): Promise<{ oreal_prompt_lengths?: number[] }> => {
    if (!layout || !(await supportsExtension(PROMPT_SPLIT_EXTENSION))) return {};
    if (layout.promptLengths.length !== count) throw new InvalidArgumentError('layout.promptLengths', `has ${layout.promptLengths.length} entries for ${count} datums`);
    return { oreal_prompt_lengths: [...layout.promptLengths] };
  };
  const input = (data: readonly Datum[], lossFn: LossFn, config?: Readonly<Record<string, number>>) => ({
    data: [...data],
    loss_fn: lossFn,
    ...(config === undefined ? {} : { loss_fn_config: { ...config } }),
  });
  return {
    modelId,
    baseModel,
    forward(data, lossFn = 'cross_entropy', config, layout) {
      const body = layoutField(layout, data.length).then((extra) => ({ forward_input: input(data, lossFn, config), ...extra }));
      return checked('forward', data, run('forward', body, ForwardBackwardOutputSchema));
    },
    forwardBackward(data, lossFn, config, layout) {
      const body = layoutField(layout, data.length).then((extra) => ({ forward_backward_input: input(data, lossFn, config), ...extra }));
      return checked('forward_backward', data, run('forward_backward', body, ForwardBackwardOutputSchema));
    },
    async optimStep(adamParams) {
      return run('optim_step', { adam_params: parseConfig(AdamParamsSchema, adamParams, 'adamParams') }, OptimStepResponseSchema);
    },
    async saveWeightsForSampler(name) {
      return (await run('save_weights_for_sampler', { path: name }, PathResponseSchema)).path;
    },
    async saveState(name) {
      return (await run('save_weights', { path: name }, PathResponseSchema)).path;
    },
    async loadState(path, options) {
      return (await run('load_weights', { path, optimizer: options.optimizer }, PathResponseSchema)).path;
    },
    getInfo() {
      return transport.direct('get_info', 'POST', { model_id: modelId, type: 'get_info' }, GetInfoResponseSchema);
    },
  };
}

