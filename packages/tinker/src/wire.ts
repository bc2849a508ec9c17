/**
 * The Tinker wire subset oreal-ts speaks: zod schemas and TypeScript types of every request and
 * response body, written from the public Tinker API reference (tinker-docs.thinkingmachines.ai,
 * api-reference/types) and the public SDKs' request shapes. Both the client in this package and a
 * Tinker-compatible server validate bodies with these schemas.
 *
 * Conventions: requests are `POST {base}/api/v1/<op>` with a JSON body; most ops answer an
 * "untyped future" `{ request_id }` whose result is fetched with `retrieve_future`. Request schemas
 * strip unknown keys (a server accepts SDK extras such as `type`); response schemas keep unknown
 * keys (`looseObject`) so a newer server's extra fields pass through.
 *
 * Departure: `oreal_row_seed_key` on `asample` is an oreal-ts extension, sent only to servers that
 * advertise `oreal_extensions: ["row-seeds"]` in `get_server_capabilities`.
 */
import { z } from 'zod';

const Int = z.number().int();
const NonNegativeInt = z.number().int().min(0);

// ───────────────────────────── data types ─────────────────────────────

/** Tensor dtypes on the wire. */
export const TensorDtypeSchema = z.enum(['float32', 'int64']);
/** A tensor on the wire: flat `data`, its `dtype`, optional `shape` (1-D when absent). */
export const TensorDataSchema = z.looseObject({
  data: z.array(z.number()),
  dtype: TensorDtypeSchema,
  shape: z.array(NonNegativeInt).nullable().optional(),
});
/** A chunk of token ids (the only chunk kind oreal-ts sends). */
export const EncodedTextChunkSchema = z.looseObject({
  type: z.literal('encoded_text').default('encoded_text'),
  tokens: z.array(NonNegativeInt),
});
/** Model input: a list of chunks, concatenated. */
export const ModelInputSchema = z.looseObject({ chunks: z.array(EncodedTextChunkSchema) });
/** One training/eval example: the model input and the loss function's per-position inputs. */
export const DatumSchema = z.looseObject({
  model_input: ModelInputSchema,
  loss_fn_inputs: z.record(z.string(), TensorDataSchema),
});
/** Loss functions oreal-ts uses (the service knows more, e.g. `ppo`, `cispo`). */
export const LossFnSchema = z.enum(['cross_entropy', 'importance_sampling']);
/**
 * Input of `forward` / `forward_backward`. Alignment: `model_input` = full[:-1], every
 * `loss_fn_inputs` array has its length N; position i predicts token i+1.
 * `cross_entropy`: `target_tokens` (int64), `weights` (float32) → loss = Σ −weights_i · logp_i.
 * `importance_sampling`: `target_tokens`, `logprobs` (sampler's), `advantages`
 * → loss = −Σ exp(logp_i − sampler_logp_i) · advantages_i.
 */
export const ForwardBackwardInputSchema = z.object({
  data: z.array(DatumSchema),
  loss_fn: LossFnSchema,
  loss_fn_config: z.record(z.string(), z.number()).nullable().optional(),
});
/** Per-datum outputs of the loss function: at least `logprobs` (length N). */
export const LossFnOutputSchema = z.looseObject({ logprobs: TensorDataSchema });
/** Result of `forward` / `forward_backward`: one output per datum, and scalar metrics. */
export const ForwardBackwardOutputSchema = z.looseObject({
  loss_fn_output_type: z.string().optional(),
  loss_fn_outputs: z.array(LossFnOutputSchema),
  metrics: z.record(z.string(), z.number()).default({}),
});
/** AdamW parameters of one `optim_step`. `grad_clip_norm` 0 = no clipping. */
export const AdamParamsSchema = z.object({
  learning_rate: z.number().min(0),
  beta1: z.number().min(0).max(1).default(0.9),
  beta2: z.number().min(0).max(1).default(0.95),
  eps: z.number().positive().default(1e-12),
  weight_decay: z.number().min(0).default(0),
  grad_clip_norm: z.number().min(0).default(0),
});
/** LoRA configuration of `create_model`. */
export const LoraConfigSchema = z.object({
  rank: z.number().int().positive(),
  train_mlp: z.boolean().optional(),
  train_attn: z.boolean().optional(),
  train_unembed: z.boolean().optional(),
  seed: Int.nullable().optional(),
});
/** Sampling parameters of `asample`. `top_k` −1 = off; `stop` strings or token ids. */
export const SamplingParamsSchema = z.object({
  max_tokens: NonNegativeInt,
  temperature: z.number().min(0).default(1),
  top_k: Int.min(-1).default(-1),
  top_p: z.number().gt(0).max(1).default(1),
  stop: z.union([z.array(z.string()), z.array(NonNegativeInt)]).nullable().optional(),
  seed: Int.nullable().optional(),
});
/** Why a sampled sequence ended. */
export const StopReasonSchema = z.enum(['stop', 'length']);
/** One sampled sequence: generated tokens only (a stop token's/string's tokens included). */
export const SampledSequenceSchema = z.looseObject({
  tokens: z.array(NonNegativeInt),
  logprobs: z.array(z.number()).nullable().optional(),
  stop_reason: StopReasonSchema,
});

// ───────────────────────────── requests and direct responses ─────────────────────────────

/** Answer of every future-returning op: the id to pass to `retrieve_future`. */
export const UntypedFutureSchema = z.looseObject({ request_id: z.string().min(1) });
/** `POST retrieve_future` body. */
export const RetrieveFutureRequestSchema = z.object({ request_id: z.string().min(1) });
/** A pending future's body (HTTP 408, or 200 with this `type`); `queue_state` is informational. */
export const TryAgainResponseSchema = z.looseObject({
  type: z.literal('try_again'),
  request_id: z.string().optional(),
  queue_state: z.string().optional(),
});
/** A failed future's 200 body (`type` `RequestFailedResponse`/`error`, an `error` string, maybe a `category`). */
export const FailedFutureSchema = z.looseObject({
  type: z.string().optional(),
  error: z.string(),
  category: z.string().nullable().optional(),
});
/** An HTTP error body: `error` or `detail`. */
export const ErrorBodySchema = z.looseObject({ error: z.unknown().optional(), detail: z.unknown().optional() });

/** `GET get_server_capabilities` answer (direct). */
export const ServerCapabilitiesSchema = z.looseObject({
  supported_models: z.array(z.looseObject({ model_name: z.string() })),
  oreal_extensions: z.array(z.string()).optional(),
});

/** `POST create_session` body. */
export const CreateSessionRequestSchema = z.object({
  tags: z.array(z.string()),
  user_metadata: z.record(z.string(), z.unknown()).nullable().optional(),
  sdk_version: z.string(),
  type: z.literal('create_session').optional(),
});
/** `create_session` answer (direct). */
export const CreateSessionResponseSchema = z.looseObject({ session_id: z.string().min(1) });

/** `POST session_heartbeat` body. */
export const SessionHeartbeatRequestSchema = z.object({
  session_id: z.string().min(1),
  type: z.literal('session_heartbeat').optional(),
});
/** `session_heartbeat` answer (direct, empty). */
export const SessionHeartbeatResponseSchema = z.looseObject({});

/** `POST create_model` body. */
export const CreateModelRequestSchema = z.object({
  session_id: z.string().min(1),
  model_seq_id: NonNegativeInt,
  base_model: z.string().min(1),
  lora_config: LoraConfigSchema,
  user_metadata: z.record(z.string(), z.unknown()).nullable().optional(),
  type: z.literal('create_model').optional(),
});
/** `create_model` future result. */
export const CreateModelResponseSchema = z.looseObject({ model_id: z.string().min(1) });

/** `POST get_info` body. */
export const GetInfoRequestSchema = z.object({ model_id: z.string().min(1), type: z.literal('get_info').optional() });
/** `get_info` answer (direct). */
export const GetInfoResponseSchema = z.looseObject({
  model_id: z.string(),
  model_data: z.looseObject({
    model_name: z.string(),
    arch: z.string().nullable().optional(),
    tokenizer_id: z.string().nullable().optional(),
  }),
  is_lora: z.boolean().nullable().optional(),
  lora_rank: Int.nullable().optional(),
});

/** `POST forward` body. */
export const ForwardRequestSchema = z.object({
  model_id: z.string().min(1),
  seq_id: NonNegativeInt,
  forward_input: ForwardBackwardInputSchema,
  type: z.literal('forward').optional(),
  /** oreal-ts extension `prompt-split` (sent only when advertised): prompt tokens per datum. */
  oreal_prompt_lengths: z.array(Int.min(1)).optional(),
});
/** `POST forward_backward` body. */
export const ForwardBackwardRequestSchema = z.object({
  model_id: z.string().min(1),
  seq_id: NonNegativeInt,
  forward_backward_input: ForwardBackwardInputSchema,
  type: z.literal('forward_backward').optional(),
  /** oreal-ts extension `prompt-split` (sent only when advertised): prompt tokens per datum. */
  oreal_prompt_lengths: z.array(Int.min(1)).optional(),
});

/** `POST optim_step` body. */
export const OptimStepRequestSchema = z.object({
  model_id: z.string().min(1),
  seq_id: NonNegativeInt,
  adam_params: AdamParamsSchema,
  type: z.literal('optim_step').optional(),
});
/** `optim_step` future result: metrics (the local server reports `grad_norm`, `clipped`, `step`). */
export const OptimStepResponseSchema = z.looseObject({ metrics: z.record(z.string(), z.number()).nullable().optional() });

/** `POST save_weights_for_sampler` body (`path` is a name). */
export const SaveWeightsForSamplerRequestSchema = z.object({
  model_id: z.string().min(1),
  seq_id: NonNegativeInt,
  path: z.string().min(1),
  type: z.literal('save_weights_for_sampler').optional(),
});
/** `POST save_weights` body (the SDK's `save_state`: weights and optimiser state). */
export const SaveWeightsRequestSchema = z.object({
  model_id: z.string().min(1),
  seq_id: NonNegativeInt,
  path: z.string().min(1),
  type: z.literal('save_weights').optional(),
});
/** `POST load_weights` body (`path` a `tinker://` path from `save_weights`). */
export const LoadWeightsRequestSchema = z.object({
  model_id: z.string().min(1),
  seq_id: NonNegativeInt,
  path: z.string().min(1),
  optimizer: z.boolean(),
  type: z.literal('load_weights').optional(),
});
/** Future result of `save_weights_for_sampler`, `save_weights` and `load_weights`. */
export const PathResponseSchema = z.looseObject({ path: z.string().min(1) });

/** `POST create_sampling_session` body: from a saved sampler path or a base model. */
export const CreateSamplingSessionRequestSchema = z.object({
  session_id: z.string().min(1),
  sampling_session_seq_id: NonNegativeInt,
  base_model: z.string().min(1).nullable().optional(),
  model_path: z.string().min(1).nullable().optional(),
  type: z.literal('create_sampling_session').optional(),
});
/** `create_sampling_session` answer (direct). */
export const CreateSamplingSessionResponseSchema = z.looseObject({ sampling_session_id: z.string().min(1) });

/** `POST asample` body. */
export const SampleRequestSchema = z.object({
  num_samples: z.number().int().positive(),
  prompt: ModelInputSchema,
  sampling_params: SamplingParamsSchema,
  sampling_session_id: z.string().min(1).nullable().optional(),
  /** Sequence id within the sampling session (the SDK sends it with `sampling_session_id`). */
  seq_id: NonNegativeInt.nullable().optional(),
  base_model: z.string().min(1).nullable().optional(),
  model_path: z.string().min(1).nullable().optional(),
  prompt_logprobs: z.boolean().nullable().optional(),
  topk_prompt_logprobs: NonNegativeInt.nullable().optional(),
  /** oreal-ts extension (only when the server advertises `row-seeds`): sample k draws from `SeededRng(seed).fork(\`${key}/${k}\`)`. */
  oreal_row_seed_key: z.string().optional(),
  type: z.literal('sample').optional(),
});
/** `asample` future result. */
export const SampleResponseSchema = z.looseObject({
  type: z.literal('sample').optional(),
  sequences: z.array(SampledSequenceSchema),
  prompt_logprobs: z.array(z.number().nullable()).nullable().optional(),
});

// ───────────────────────────── types ─────────────────────────────

export type TensorDtype = z.infer<typeof TensorDtypeSchema>;
export type TensorData = z.infer<typeof TensorDataSchema>;
export type EncodedTextChunk = z.infer<typeof EncodedTextChunkSchema>;
export type ModelInput = z.infer<typeof ModelInputSchema>;
export type Datum = z.infer<typeof DatumSchema>;
export type LossFn = z.infer<typeof LossFnSchema>;
export type ForwardBackwardInput = z.infer<typeof ForwardBackwardInputSchema>;
export type LossFnOutput = z.infer<typeof LossFnOutputSchema>;
export type ForwardBackwardOutput = z.infer<typeof ForwardBackwardOutputSchema>;
/** AdamW parameters as sent (every field present after parsing). */
export type AdamParams = z.infer<typeof AdamParamsSchema>;
/** AdamW parameters as a caller may give them (defaults applied by the schema). */
export type AdamParamsInput = z.input<typeof AdamParamsSchema>;
export type LoraConfig = z.infer<typeof LoraConfigSchema>;
export type SamplingParams = z.infer<typeof SamplingParamsSchema>;
export type SamplingParamsInput = z.input<typeof SamplingParamsSchema>;
export type StopReason = z.infer<typeof StopReasonSchema>;
export type SampledSequence = z.infer<typeof SampledSequenceSchema>;
export type UntypedFuture = z.infer<typeof UntypedFutureSchema>;
export type RetrieveFutureRequest = z.infer<typeof RetrieveFutureRequestSchema>;
export type TryAgainResponse = z.infer<typeof TryAgainResponseSchema>;
export type FailedFuture = z.infer<typeof FailedFutureSchema>;
export type ServerCapabilities = z.infer<typeof ServerCapabilitiesSchema>;
export type CreateSessionRequest = z.infer<typeof CreateSessionRequestSchema>;
export type CreateSessionResponse = z.infer<typeof CreateSessionResponseSchema>;
export type SessionHeartbeatRequest = z.infer<typeof SessionHeartbeatRequestSchema>;
export type CreateModelRequest = z.infer<typeof CreateModelRequestSchema>;
export type CreateModelResponse = z.infer<typeof CreateModelResponseSchema>;
export type GetInfoRequest = z.infer<typeof GetInfoRequestSchema>;
export type GetInfoResponse = z.infer<typeof GetInfoResponseSchema>;
export type ForwardRequest = z.infer<typeof ForwardRequestSchema>;
export type ForwardBackwardRequest = z.infer<typeof ForwardBackwardRequestSchema>;
export type OptimStepRequest = z.infer<typeof OptimStepRequestSchema>;
export type OptimStepResponse = z.infer<typeof OptimStepResponseSchema>;
export type SaveWeightsForSamplerRequest = z.infer<typeof SaveWeightsForSamplerRequestSchema>;
export type SaveWeightsRequest = z.infer<typeof SaveWeightsRequestSchema>;
export type LoadWeightsRequest = z.infer<typeof LoadWeightsRequestSchema>;
export type PathResponse = z.infer<typeof PathResponseSchema>;
export type CreateSamplingSessionRequest = z.infer<typeof CreateSamplingSessionRequestSchema>;
export type CreateSamplingSessionResponse = z.infer<typeof CreateSamplingSessionResponseSchema>;
export type SampleRequest = z.infer<typeof SampleRequestSchema>;
export type SampleResponse = z.infer<typeof SampleResponseSchema>;

/** The oreal-ts extension name a server advertises for `oreal_row_seed_key`. */
export const ROW_SEEDS_EXTENSION = 'row-seeds';

/**
 * The oreal-ts extension name a server advertises for `oreal_prompt_lengths` on `forward` /
 * `forward_backward`: the number of prompt tokens of each datum, so that the server lays the batch
 * out as (prompt, response) rows exactly as an in-process tfjs policy does (bit-identical sums);
 * the log-probs of prompt positions are then not computed (answered as 0).
 */
export const PROMPT_SPLIT_EXTENSION = 'prompt-split';

/**
 * Every op: its HTTP method, path under `/api/v1/`, request schema, and result schema (of the
 * direct answer, or of the future when `future` is true). A server can route with this table.
 */
export const TINKER_OPS = {
  get_server_capabilities: { method: 'GET', future: false, request: z.undefined(), response: ServerCapabilitiesSchema },
  create_session: { method: 'POST', future: false, request: CreateSessionRequestSchema, response: CreateSessionResponseSchema },
  session_heartbeat: { method: 'POST', future: false, request: SessionHeartbeatRequestSchema, response: SessionHeartbeatResponseSchema },
  create_model: { method: 'POST', future: true, request: CreateModelRequestSchema, response: CreateModelResponseSchema },
  get_info: { method: 'POST', future: false, request: GetInfoRequestSchema, response: GetInfoResponseSchema },
  forward: { method: 'POST', future: true, request: ForwardRequestSchema, response: ForwardBackwardOutputSchema },
  forward_backward: { method: 'POST', future: true, request: ForwardBackwardRequestSchema, response: ForwardBackwardOutputSchema },
  optim_step: { method: 'POST', future: true, request: OptimStepRequestSchema, response: OptimStepResponseSchema },
  save_weights_for_sampler: { method: 'POST', future: true, request: SaveWeightsForSamplerRequestSchema, response: PathResponseSchema },
  save_weights: { method: 'POST', future: true, request: SaveWeightsRequestSchema, response: PathResponseSchema },
  load_weights: { method: 'POST', future: true, request: LoadWeightsRequestSchema, response: PathResponseSchema },
  create_sampling_session: {
    method: 'POST',
    future: false,
    request: CreateSamplingSessionRequestSchema,
    response: CreateSamplingSessionResponseSchema,
  },
  asample: { method: 'POST', future: true, request: SampleRequestSchema, response: SampleResponseSchema },
} as const;

/** Name of a Tinker op in `TINKER_OPS`. */
export type TinkerOp = keyof typeof TINKER_OPS;
