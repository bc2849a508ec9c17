import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  CheckpointError,
  InvalidArgumentError,
  OrealError,
  TrainingDivergedError,
  parseConfig,
  scheduledLearningRate,
  type DecodingSession,
  type LossWithGradient,
  type OptimizerStepReport,
  type PerTokenLoss,
  type PerTokenValues,
  type TokenBatch,
  type TrainablePolicy,
} from '@oreal-ts/core';
import { writeJsonAtomic } from '@oreal-ts/core/node';
import type { DatumLayout, TrainingClient } from './clients';
import { datumFromSequence, responseValues } from './datum';
import type { Datum } from './wire';

/** AdamW + schedule settings of a remote policy (the same fields and schedule as tensor-model's `TrainingOptions`). */
export const TinkerOptimizerSchema = z.object({
  learningRate: z.number().positive(),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.95),
  epsilon: z.number().positive().default(1e-12),
  weightDecay: z.number().min(0).default(0),
  warmupSteps: z.number().int().min(0).default(0),
  totalSteps: z.number().int().min(0).default(0),
  minLearningRateRatio: z.number().min(0).max(1).default(0),
  gradClipNorm: z.number().min(0).default(0),
});
/** Optimiser settings as given (defaults: Tinker's AdamW defaults β₁ 0.9, β₂ 0.95, ε 1e-12, no decay, no clipping). */
export type TinkerOptimizerOptions = z.input<typeof TinkerOptimizerSchema>;

/** Options of `createTinkerPolicy`. */
export interface TinkerPolicyOptions {
  /** The remote LoRA training run. */
  readonly training: TrainingClient;
  readonly vocabSize: number;
  readonly maxSequenceLength: number;
  readonly optimizer: TinkerOptimizerOptions;
  /** Component id. Default `oreal-ts/tinker-policy`. */
  readonly id?: string;
  /** Trainable scalars, when known (the API does not report it). Default 0 = unknown. */
  readonly parameterCount?: number;
  /** Sampler weights to start from (e.g. a path saved earlier); otherwise saved at step 0 on first use. */
  readonly initialSamplerPath?: string;
}

/** A `TrainablePolicy` trained by a remote Tinker engine. */
export interface TinkerPolicy extends TrainablePolicy {
  readonly training: TrainingClient;
  /** Optimiser steps taken. */
  readonly step: number;
  /** The sampler weights of the current parameters, if saved yet. */
  currentSamplerPath(): string | undefined;
  /** The sampler weights of the current parameters, saving them (at step 0) when none exist yet. */
  samplerPath(): Promise<string>;
}

/** File written by `save(dir)`. */
export const TINKER_STATE_FILE = 'tinker-state.json';
const TinkerStateSchema = z.object({
  path: z.string().min(1),
  step: z.number().int().min(0),
  samplerPath: z.string().min(1).nullable(),
  baseModel: z.string().min(1),
});

/**
 * A `TrainablePolicy` over a Tinker `TrainingClient`.
 *
 * - `logProbs` = one `forward` with `cross_entropy` and zero weights, reading
 *   `loss_fn_outputs[i].logprobs` at the response positions (documented alignment: position i of
 *   `model_input` = full[:-1] predicts full[i+1]).
 * - `accumulateGradients(batch, loss)` = that forward → ℓ, `loss(ℓ)` once → g = ∂loss/∂ℓ, then ONE
 *   `forward_backward` with `cross_entropy` weights w_t = −g_t on response positions (0 on prompt
 *   positions). Tinker's cross-entropy is Σ −w_t ℓ_t, so its gradient is Σ g_t ∇θ ℓ_t = ∇θ loss
 *   exactly, as the core contract requires. The engine accumulates across calls.
 * - `applyGradients` = `optim_step` at the learning rate of the core warm-up + cosine schedule,
 *   then `save_weights_for_sampler`, so the next sampling uses the new weights (on-policy by
 *   construction). `gradNorm` is the engine's `metrics.grad_norm`; NaN when the engine does not
 *   report it (the hosted service may not). `clipped` is `metrics.clipped` when reported, else
 *   `gradNorm > gradClipNorm`.
 * - `clearGradients`: Tinker cannot drop accumulated gradients, so it throws when a
 *   `forward_backward` was sent since the last `optim_step`; otherwise it is a no-op. A batch whose
 *   loss or gradient is non-finite is never sent (the loss is returned for the caller to see); the next
 *   `applyGradients` then refuses until `clearGradients`.
 * - `save(dir)` = `save_weights` (weights + optimiser) and `<dir>/tinker-state.json` written
 *   atomically; `load(dir)` = `load_weights` with the optimiser.
 * - `startDecoding` throws: remote engines sample through `createTinkerSampler`.
 *
 * Departures from the local tfjs policy: weight decay and clipping are the engine's (Tinker applies
 * decoupled decay to every LoRA parameter); only the LoRA parameters are trained.
 */
export function createTinkerPolicy(options: TinkerPolicyOptions): TinkerPolicy {
  const optimizer = parseConfig(TinkerOptimizerSchema, options.optimizer, 'optimizer');
  const { training, vocabSize, maxSequenceLength } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new InvalidArgumentError('vocabSize', `must be a positive integer, got ${vocabSize}`);
  if (!Number.isInteger(maxSequenceLength) || maxSequenceLength < 2) throw new InvalidArgumentError('maxSequenceLength', `must be an integer ≥ 2, got ${maxSequenceLength}`);
  const id = options.id ?? 'oreal-ts/tinker-policy';
  let step = 0;
  let pending = 0;
  let poisoned = false;
  let samplerPath = options.initialSamplerPath;

  const checkBatch = (batch: TokenBatch): void => {
    if (batch.promptIds.length !== batch.responseIds.length) {
      throw new InvalidArgumentError('batch', `${batch.promptIds.length} prompts but ${batch.responseIds.length} responses`);
    }
    batch.promptIds.forEach((prompt, row) => {
      const response = batch.responseIds[row] as readonly number[];
      if (prompt.length === 0) throw new InvalidArgumentError(`batch.promptIds[${row}]`, 'is empty (a prompt needs at least one token)');
      if (prompt.length + response.length > maxSequenceLength) {
        throw new InvalidArgumentError(`batch row ${row}`, `prompt + response = ${prompt.length + response.length} tokens exceeds maxSequenceLength ${maxSequenceLength}`);
      }
      for (const token of [...prompt, ...response]) {
        if (!Number.isInteger(token) || token < 0 || token >= vocabSize) throw new InvalidArgumentError(`batch row ${row}`, `token ${token} is outside the vocabulary [0, ${vocabSize})`);
      }
    });
  };

  /** Rows with a non-empty response, as datums built by `weightsOf(row)`. */
  const datums = (batch: TokenBatch, weightsOf: (row: number) => readonly number[]): { rows: number[]; data: Datum[]; layout: DatumLayout } => {
    const rows: number[] = [];
    const data: Datum[] = [];
    const promptLengths: number[] = [];
    batch.responseIds.forEach((response, row) => {
      if (response.length === 0) return;
      rows.push(row);
      const prompt = batch.promptIds[row] as readonly number[];
      promptLengths.push(prompt.length);
      data.push(datumFromSequence(prompt, response, { weights: weightsOf(row) }));
    });
    return { rows, data, layout: { promptLengths } };
  };

  const logProbs = async (batch: TokenBatch): Promise<PerTokenValues> => {
    checkBatch(batch);
    const result: PerTokenValues = batch.responseIds.map(() => []);
    const { rows, data, layout } = datums(batch, (row) => new Array<number>((batch.responseIds[row] as readonly number[]).length).fill(0));
    if (data.length === 0) return result;
    const output = await training.forward(data, 'cross_entropy', undefined, layout);
    rows.forEach((row, i) => {
      const prompt = batch.promptIds[row] as readonly number[];
      const response = batch.responseIds[row] as readonly number[];
      const values = (output.loss_fn_outputs[i] as { logprobs: { data: number[] } }).logprobs.data;
      result[row] = responseValues(values, prompt.length, response.length);
    });
    return result;
  };

  const policy: TinkerPolicy = {
    specificationVersion: 'v1',
    id,
    training,
    vocabSize,
    maxSequenceLength,
    parameterCount: options.parameterCount ?? 0,
    get step() {
      return step;
    },
    logProbs,
    async accumulateGradients(batch: TokenBatch, loss: PerTokenLoss): Promise<LossWithGradient> {
      const values = await logProbs(batch);
      const result = loss(values);
      if (result.gradient.length !== values.length || result.gradient.some((row, r) => row.length !== (values[r] as number[]).length)) {
        throw new InvalidArgumentError('loss', 'returned a gradient whose shape differs from the per-token values it was given');
      }
      if (!Number.isFinite(result.loss) || result.gradient.some((row) => row.some((g) => !Number.isFinite(g)))) {
        poisoned = true;
        return result;
      }
      const { data, layout } = datums(batch, (row) => (result.gradient[row] as number[]).map((g) => (g === 0 ? 0 : -g)));
      if (data.length > 0) {
        pending += 1;
        await training.forwardBackward(data, 'cross_entropy', undefined, layout);
      }
      return result;
    },
    async applyGradients(): Promise<OptimizerStepReport> {
      if (poisoned) {
        throw new TrainingDivergedError(step + 1, 'gradient', 'was non-finite in an accumulated batch (that batch was not sent); call clearGradients() before the next step');
      }
      const learningRate = scheduledLearningRate(optimizer, step);
      const response = await training.optimStep({
        learning_rate: learningRate,
        beta1: optimizer.beta1,
        beta2: optimizer.beta2,
        eps: optimizer.epsilon,
        weight_decay: optimizer.weightDecay,
        grad_clip_norm: optimizer.gradClipNorm,
      });
      step += 1;
      pending = 0;
      const metrics = response.metrics ?? {};
      const gradNorm = metrics['grad_norm'] ?? Number.NaN;
      if ('grad_norm' in metrics && !Number.isFinite(gradNorm)) {
        throw new TrainingDivergedError(step, 'gradient norm', `reported by the engine is ${gradNorm}; the remote weights may be corrupt — resume from the last checkpoint with a lower learning rate`);
      }
      const clipped = metrics['clipped'] !== undefined ? metrics['clipped'] >= 0.5 : optimizer.gradClipNorm > 0 && gradNorm > optimizer.gradClipNorm;
      samplerPath = await training.saveWeightsForSampler(`${id.replace(/[^A-Za-z0-9_-]/g, '_')}-step-${String(step).padStart(6, '0')}`);
      return { step, gradNorm, clipped, learningRate };
    },
    clearGradients(): void {
      poisoned = false;
      if (pending > 0) {
        throw new OrealError(
          'INVALID_ARGUMENT',
          `tinker policy '${id}': ${pending} forward_backward call(s) since the last optim_step cannot be dropped — the Tinker API has no way to clear accumulated gradients; the next optim_step would apply them. Recreate the training client from the last checkpoint (load) instead`,
        );
      }
    },
    async save(dir: string): Promise<void> {
      const path = await training.saveState(`${id.replace(/[^A-Za-z0-9_-]/g, '_')}-state-${String(step).padStart(6, '0')}`);
      await writeJsonAtomic(join(dir, TINKER_STATE_FILE), { path, step, samplerPath: samplerPath ?? null, baseModel: training.baseModel });
    },
    async load(dir: string): Promise<void> {
      const file = join(dir, TINKER_STATE_FILE);
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(file, 'utf8'));
      } catch (cause) {
        throw new CheckpointError(file, `cannot read the Tinker state: ${cause instanceof Error ? cause.message : String(cause)}`);
      }
      const parsed = TinkerStateSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new CheckpointError(file, `field '${issue?.path.map(String).join('.') || '(root)'}': ${issue?.message ?? 'invalid'}`);
      }
      const state = parsed.data;
      if (state.baseModel !== training.baseModel) {
        throw new CheckpointError(file, `field 'baseModel': the state is for '${state.baseModel}', this training client trains '${training.baseModel}'`);
      }
      await training.loadState(state.path, { optimizer: true });
      step = state.step;
      pending = 0;
      poisoned = false;
      samplerPath = state.samplerPath ?? undefined;
    },
    currentSamplerPath: () => samplerPath,
    async samplerPath(): Promise<string> {
      samplerPath ??= await training.saveWeightsForSampler(`${id.replace(/[^A-Za-z0-9_-]/g, '_')}-step-${String(step).padStart(6, '0')}`);
      return samplerPath;
    },
    startDecoding(): Promise<DecodingSession> {
      return Promise.reject(
        new InvalidArgumentError('startDecoding', `tinker policy '${id}' decodes remotely: sample through createTinkerSampler (the Tinker API has no incremental decoding)`),
      );
    },
    dispose(): void {
      // The training run lives on the service; closing the service client is its owner's job.
    },
  };
  return policy;
}
