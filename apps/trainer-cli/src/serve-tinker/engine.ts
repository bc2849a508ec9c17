import { randomUUID } from 'node:crypto';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SeededRng } from '@oreal-ts/core';
import type { Tokenizer } from '@oreal-ts/core';
import { generateSequences, type GenerationRequest } from '@oreal-ts/sampler';
import { loadTransformerPolicy, type TransformerPolicy } from '@oreal-ts/tensor-model';
import { PROMPT_SPLIT_EXTENSION, ROW_SEEDS_EXTENSION } from '@oreal-ts/tinker';
import type {
  CreateModelRequest,
  CreateSamplingSessionRequest,
  ForwardBackwardOutput,
  ForwardBackwardRequest,
  ForwardRequest,
  GetInfoResponse,
  LoadWeightsRequest,
  OptimStepRequest,
  SampleRequest,
  SampleResponse,
  SaveWeightsForSamplerRequest,
  SaveWeightsRequest,
  ServerCapabilities,
} from '@oreal-ts/tinker';
import { dataToBatch, lossFnOutputs, modelInputTokens, tinkerLoss } from './datum-batch';
import { UserInputError } from './futures';

/** An unknown session, model, sampling session or path (answered 404). */
export class NotFoundError extends Error {}

/** A trainable copy of the served weights, one per `create_model`. */
interface TrainingModel {
  policy: TransformerPolicy;
  readonly loraRank: number;
}

/** What a sampling session samples from. */
type SamplingSource = { readonly kind: 'base' } | { readonly kind: 'snapshot'; readonly path: string };

const SAFE_NAME = /^[A-Za-z0-9._-]+$/;

/** Options of `TinkerEngine`. */
export interface TinkerEngineOptions {
  /** The served weights (base model); never trained, only cloned and sampled. */
  readonly policy: TransformerPolicy;
  readonly tokenizer: Tokenizer;
  /** The name clients pass as `base_model`. */
  readonly baseModel: string;
  /** Folder of `save_weights` checkpoints (one sub-folder per model and name). */
  readonly stateDir: string;
  /** Sampler snapshots kept per model; older ones are disposed (sampling them is then 404). Default 4. */
  readonly maxSamplerSnapshots?: number;
  /** Rows decoded together in `asample`. Default 16 (the in-process LocalSampler's). */
  readonly sampleBatchSize?: number;
}

/**
 * The tfjs engine behind the local Tinker server: sessions, trainable models, sampler snapshots,
 * saved states. Each method is one op on already-validated bodies; the server queues them per model.
 *
 * Departures from the hosted service: full fine-tuning (the LoRA rank is accepted and reported by
 * `get_info`, not applied); one base model (the served checkpoint); targets must be the input
 * shifted by one; `learning_rate` must be > 0; weight decay applies to matrices and embeddings only.
 */
export class TinkerEngine {
  private readonly sessions = new Set<string>();
  private readonly models = new Map<string, TrainingModel>();
  /** `tinker://<model>/sampler_weights/<name>` → a frozen copy of the weights, in save order. */
  private readonly snapshots = new Map<string, TransformerPolicy>();
  private readonly samplingSessions = new Map<string, SamplingSource>();
  /** `tinker://<model>/weights/<name>` → checkpoint folder. */
  private readonly savedStates = new Map<string, string>();
  private modelCounter = 0;
  private readonly maxSnapshots: number;
  private readonly sampleBatchSize: number;

  constructor(private readonly options: TinkerEngineOptions) {
    this.maxSnapshots = options.maxSamplerSnapshots ?? 4;
    this.sampleBatchSize = options.sampleBatchSize ?? 16;
  }

  /** `get_server_capabilities`. */
  capabilities(): ServerCapabilities {
    return {
      supported_models: [{ model_name: this.options.baseModel }],
      oreal_extensions: [ROW_SEEDS_EXTENSION, PROMPT_SPLIT_EXTENSION],
    };
  }

  /** `create_session`. */
  createSession(): { session_id: string } {
    const id = `session-${randomUUID()}`;
    this.sessions.add(id);
    return { session_id: id };
  }

  /** `session_heartbeat`. */
  heartbeat(sessionId: string): Record<string, never> {
    this.assertSession(sessionId);
    return {};
  }

  /** Checks done before `create_model` is queued (404s). */
  checkCreateModel(body: CreateModelRequest): void {
    this.assertSession(body.session_id);
    this.assertBaseModel(body.base_model);
  }

  /** `create_model`: a fresh trainable copy of the served weights (fresh optimiser). */
  createModel(body: CreateModelRequest): { model_id: string } {
    const id = `model-${++this.modelCounter}-${randomUUID().slice(0, 8)}`;
    this.models.set(id, {
      policy: this.options.policy.clone({ id: `tinker/${id}` }),
      loraRank: body.lora_config.rank,
    });
    return { model_id: id };
  }

  /** `get_info`. */
  info(modelId: string): GetInfoResponse {
    const model = this.model(modelId);
    return {
      model_id: modelId,
      model_data: {
        model_name: this.options.baseModel,
        arch: model.policy.config.model_type,
        tokenizer_id: null,
      },
      is_lora: false,
      lora_rank: model.loraRank,
    };
  }

  /** Throws `NotFoundError` unless the model exists. */
  assertModel(modelId: string): void {
    this.model(modelId);
  }

  /** `forward`: per-datum log-probs of the targets, no gradient. */
  async forward(body: ForwardRequest): Promise<ForwardBackwardOutput> {
    const model = this.model(body.model_id);
    const input = body.forward_input;
    const split = body.oreal_prompt_lengths;
    const batch = dataToBatch(input.data, split);
    const loss = tinkerLoss(input, split);
    const values = await model.policy.logProbs(batch);
    return {
      loss_fn_output_type: input.loss_fn,
      loss_fn_outputs: lossFnOutputs(values, split),
      metrics: { 'loss:sum': loss(values).loss },
    };
  }

  /** `forward_backward`: accumulate ∇θ of the loss (gradient w.r.t. each log-prob as the loss says). */
  async forwardBackward(body: ForwardBackwardRequest): Promise<ForwardBackwardOutput> {
    const model = this.model(body.model_id);
    const input = body.forward_backward_input;
    const split = body.oreal_prompt_lengths;
    const batch = dataToBatch(input.data, split);
    const loss = tinkerLoss(input, split);
    let seen: number[][] = [];
    const result = await model.policy.accumulateGradients(batch, (values) => {
      seen = values;
      return loss(values);
    });
    return {
      loss_fn_output_type: input.loss_fn,
      loss_fn_outputs: lossFnOutputs(seen, split),
      metrics: { 'loss:sum': result.loss },
    };
  }

  /** `optim_step`: one AdamW step with the given parameters (constant lr, no warm-up/schedule). */
  async optimStep(body: OptimStepRequest): Promise<{ metrics: Record<string, number> }> {
    const model = this.model(body.model_id);
    const adam = body.adam_params;
    if (!(adam.learning_rate > 0))
      throw new UserInputError(
        `adam_params.learning_rate must be > 0 on the local server, got ${adam.learning_rate}`,
      );
    model.policy.setTrainingOptions({
      learningRate: adam.learning_rate,
      warmupSteps: 0,
      totalSteps: 0,
      beta1: adam.beta1,
      beta2: adam.beta2,
      epsilon: adam.eps,
      weightDecay: adam.weight_decay,
      gradClipNorm: adam.grad_clip_norm,
    });
    const report = await model.policy.applyGradients();
    return {
      metrics: {
        grad_norm: report.gradNorm,
        clipped: report.clipped ? 1 : 0,
        step: report.step,
        learning_rate: report.learningRate,
      },
    };
  }

  /** `save_weights_for_sampler`: snapshot the current weights (a clone) for sampling. */
  saveForSampler(body: SaveWeightsForSamplerRequest): { path: string } {
    const model = this.model(body.model_id);
    assertSafeName(body.path);
    const path = `tinker://${body.model_id}/sampler_weights/${body.path}`;
    this.snapshots.get(path)?.dispose();
    this.snapshots.delete(path);
    this.snapshots.set(path, model.policy.clone({ id: `tinker/${path}` }));
    const own = [...this.snapshots.keys()].filter((key) => key.startsWith(`tinker://${body.model_id}/`));
    for (const old of own.slice(0, Math.max(0, own.length - this.maxSnapshots))) {
      this.snapshots.get(old)?.dispose();
      this.snapshots.delete(old);
    }
    return { path };
  }

  /** `save_weights`: weights, optimiser and schedule state under `stateDir`. */
  async saveState(body: SaveWeightsRequest): Promise<{ path: string }> {
    const model = this.model(body.model_id);
    assertSafeName(body.path);
    const dir = join(this.options.stateDir, body.model_id, body.path);
    await mkdir(dir, { recursive: true });
    await model.policy.save(dir);
    const path = `tinker://${body.model_id}/weights/${body.path}`;
    this.savedStates.set(path, dir);
    return { path };
  }

  /** Checks done before `load_weights` is queued (404s). */
  checkLoad(body: LoadWeightsRequest): void {
    this.model(body.model_id);
    if (!this.savedStates.has(body.path))
      throw new NotFoundError(
        `unknown path '${body.path}': load_weights takes a tinker://…/weights/… path returned by save_weights on this server`,
      );
  }

  /** `load_weights`: restore weights; with `optimizer`, also the AdamW moments and step count, else a fresh optimiser. */
  async loadState(body: LoadWeightsRequest): Promise<{ path: string }> {
    const model = this.model(body.model_id);
    const dir = this.savedStates.get(body.path) as string;
    await access(dir);
    if (body.optimizer) {
      await model.policy.load(dir);
    } else {
      const loaded = await loadTransformerPolicy(dir);
      try {
        const fresh = loaded.clone({ id: model.policy.id });
        model.policy.dispose();
        model.policy = fresh;
      } finally {
        loaded.dispose();
      }
    }
    return { path: body.path };
  }

  /** `create_sampling_session`: from a sampler snapshot path or the base model. */
  createSamplingSession(body: CreateSamplingSessionRequest): { sampling_session_id: string } {
    this.assertSession(body.session_id);
    const source = this.samplingSource(body.model_path ?? undefined, body.base_model ?? undefined);
    const id = `sampling-${randomUUID()}`;
    this.samplingSessions.set(id, source);
    return { sampling_session_id: id };
  }

  /** The queue key of an `asample` (its snapshot's model, or `base`); throws 404 for unknown targets. */
  sampleQueueKey(body: SampleRequest): string {
    const source = this.sampleSource(body);
    return source.kind === 'base'
      ? '<base>'
      : (source.path.slice('tinker://'.length).split('/')[0] as string);
  }

  /**
   * `asample`: `num_samples` sequences from one prompt with `@oreal-ts/sampler`'s KV-cached decoder.
   * Sample k draws from `SeededRng(seed).fork(\`${key}/${k}\`)` with key = `oreal_row_seed_key`
   * (default `0`), exactly the in-process LocalSampler's row stream of problem `key`. Stops: the
   * given strings or token ids plus the tokenizer's EOS; log-probs are the model's at temperature 1.
   */
  async sample(body: SampleRequest): Promise<SampleResponse> {
    const policy = this.samplePolicy(this.sampleSource(body));
    const params = body.sampling_params;
    const promptIds = modelInputTokens(body.prompt);
    if (promptIds.length === 0) throw new UserInputError('prompt has no tokens');
    const stop = params.stop ?? [];
    const stopStrings = stop.filter((s): s is string => typeof s === 'string');
    const stopIds = stop.filter((s): s is number => typeof s === 'number');
    const eos = this.options.tokenizer.eosTokenId;
    const base = new SeededRng(params.seed ?? Math.floor(Math.random() * 2 ** 32));
    const key = body.oreal_row_seed_key ?? '0';
    const requests: GenerationRequest[] = Array.from({ length: body.num_samples }, (_, k) => ({
      promptIds,
      rng: base.fork(`${key}/${k}`),
    }));
    const generated = await generateSequences(
      policy,
      this.options.tokenizer,
      requests,
      {
        temperature: params.temperature,
        topP: params.top_p,
        ...(params.top_k > 0 ? { topK: params.top_k } : {}),
        maxNewTokens: params.max_tokens,
        stopTokenIds: [...stopIds, ...(eos === undefined ? [] : [eos])],
        stop: stopStrings,
      },
      this.sampleBatchSize,
    );
    const response: SampleResponse = {
      type: 'sample',
      sequences: generated.map((sequence) => ({
        tokens: sequence.tokenIds,
        logprobs: sequence.logProbs,
        stop_reason: sequence.finishReason,
      })),
    };
    if (body.prompt_logprobs) {
      const values =
        promptIds.length > 1
          ? await policy.logProbs({
              promptIds: [[promptIds[0] as number]],
              responseIds: [promptIds.slice(1)],
            })
          : [[]];
      response.prompt_logprobs = [null, ...(values[0] as number[])];
    }
    return response;
  }

  /** Dispose every model and snapshot (the served policy is the caller's). */
  dispose(): void {
    for (const model of this.models.values()) model.policy.dispose();
    for (const snapshot of this.snapshots.values()) snapshot.dispose();
    this.models.clear();
    this.snapshots.clear();
    this.samplingSessions.clear();
  }

  private sampleSource(body: SampleRequest): SamplingSource {
    if (body.sampling_session_id) {
      const source = this.samplingSessions.get(body.sampling_session_id);
      if (!source) throw new NotFoundError(`unknown sampling_session_id '${body.sampling_session_id}'`);
      return source;
    }
    return this.samplingSource(body.model_path ?? undefined, body.base_model ?? undefined);
  }

  private samplingSource(modelPath: string | undefined, baseModel: string | undefined): SamplingSource {
    if (modelPath !== undefined) {
      if (!this.snapshots.has(modelPath))
        throw new NotFoundError(
          `unknown model_path '${modelPath}': give a tinker://…/sampler_weights/… path returned by save_weights_for_sampler (the server keeps the last ${this.maxSnapshots} per model)`,
        );
      return { kind: 'snapshot', path: modelPath };
    }
    if (baseModel !== undefined) {
      this.assertBaseModel(baseModel);
      return { kind: 'base' };
    }
    throw new UserInputError('give one of sampling_session_id, model_path or base_model');
  }

  private samplePolicy(source: SamplingSource): TransformerPolicy {
    if (source.kind === 'base') return this.options.policy;
    const snapshot = this.snapshots.get(source.path);
    if (!snapshot)
      throw new NotFoundError(
        `sampler weights '${source.path}' were replaced or evicted (the server keeps the last ${this.maxSnapshots} per model)`,
      );
    return snapshot;
  }

  private model(modelId: string): TrainingModel {
    const model = this.models.get(modelId);
    if (!model) throw new NotFoundError(`unknown model_id '${modelId}': create it with create_model first`);
    return model;
  }

  private assertSession(sessionId: string): void {
    if (!this.sessions.has(sessionId))
      throw new NotFoundError(`unknown session_id '${sessionId}': call create_session first`);
  }

  private assertBaseModel(name: string): void {
    if (name !== this.options.baseModel)
      throw new NotFoundError(`unknown base_model '${name}'; this server serves '${this.options.baseModel}'`);
  }
}

function assertSafeName(name: string): void {
  if (!SAFE_NAME.test(name) || name === '.' || name === '..')
    throw new UserInputError(`path '${name}' must be a plain name of letters, digits, '.', '_' or '-'`);
}
