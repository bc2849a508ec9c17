import {
  InvalidArgumentError,
  SeededRng,
  TrainingDivergedError,
  hashString,
  type Tokenizer,
  type TrainablePolicy,
} from '@oreal-ts/core';

/** One supervised example: the prompt the model sees and the response it should produce. */
export interface SftExample {
  readonly prompt: string;
  readonly response: string;
}

/** One SFT step's report. */
export interface SftStepMetrics {
  readonly step: number;
  /** Mean negative log-likelihood per response token of the batch. */
  readonly loss: number;
  readonly tokens: number;
  readonly gradNorm: number;
  readonly learningRate: number;
}

/** Options of `supervisedFineTune`. */
export interface SupervisedFineTuneOptions {
  readonly policy: TrainablePolicy;
  readonly tokenizer: Tokenizer;
  readonly examples: readonly SftExample[];
  readonly steps: number;
  /** Examples per step. */
  readonly batchSize: number;
  /** Seed of the (per-epoch shuffled) example order. */
  readonly seed: number;
  /** Append the tokenizer's end-of-sequence token to each response (so the model learns to stop). Default true. */
  readonly appendEos?: boolean;
  readonly onStep?: (metrics: SftStepMetrics) => void | Promise<void>;
  readonly signal?: AbortSignal;
}

/** What `supervisedFineTune` did. */
export interface SftResult {
  readonly steps: number;
  readonly history: readonly SftStepMetrics[];
  /** Loss of the last step (NaN when no step ran). */
  readonly finalLoss: number;
}

/**
 * Supervised warm start: minimise the mean token-level negative log-likelihood of the responses
 * (end-of-sequence included), L = −(1/N) Σ_rows Σ_t log π(y_t | prompt, y_<t), N = tokens in the
 * batch, through `policy.accumulateGradients` — one optimiser step per batch. Examples are visited
 * in a seeded order reshuffled every epoch. A non-finite loss throws `TrainingDivergedError`.
 */
export async function supervisedFineTune(options: SupervisedFineTuneOptions): Promise<SftResult> {
  const { policy, tokenizer, examples } = options;
  if (examples.length === 0)
    throw new InvalidArgumentError('examples', 'is empty; pass at least one { prompt, response } example');
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1)
    throw new InvalidArgumentError('batchSize', `must be a positive integer, got ${options.batchSize}`);
  if (!Number.isInteger(options.steps) || options.steps < 0)
    throw new InvalidArgumentError('steps', `must be a non-negative integer, got ${options.steps}`);
  const appendEos = options.appendEos ?? true;
  const encoded = examples.map((example, index) => {
    const promptIds = tokenizer.encode(example.prompt);
    const responseIds = tokenizer.encode(example.response);
    if (appendEos && tokenizer.eosTokenId !== undefined) responseIds.push(tokenizer.eosTokenId);
    if (responseIds.length === 0)
      throw new InvalidArgumentError(
        `examples[${index}].response`,
        'is empty; every example needs at least one response token',
      );
    if (promptIds.length + responseIds.length > policy.maxSequenceLength) {
      throw new InvalidArgumentError(
        `examples[${index}]`,
        `is ${promptIds.length + responseIds.length} tokens, longer than the policy's maxSequenceLength ${policy.maxSequenceLength}; shorten it or use a model with a longer context`,
      );
    }
    return { promptIds, responseIds };
  });

  let epoch = 0;
  let position = 0;
  let order = shuffledOrder(encoded.length, options.seed, epoch);
  const history: SftStepMetrics[] = [];
  for (let step = 1; step <= options.steps; step++) {
    if (options.signal?.aborted) break;
    const rows: { promptIds: number[]; responseIds: number[] }[] = [];
    while (rows.length < options.batchSize) {
      if (position >= order.length) {
        epoch++;
        position = 0;
        order = shuffledOrder(encoded.length, options.seed, epoch);
      }
      rows.push(encoded[order[position++] as number] as { promptIds: number[]; responseIds: number[] });
    }
    const tokens = rows.reduce((sum, row) => sum + row.responseIds.length, 0);
    const result = await policy.accumulateGradients(
      { promptIds: rows.map((row) => row.promptIds), responseIds: rows.map((row) => row.responseIds) },
      (logProbs) => {
        let loss = 0;
        // ∂L/∂ℓ_t = −1/N for every response token.
        const gradient = logProbs.map((row) =>
          row.map((value) => {
            loss -= value / tokens;
            return -1 / tokens;
          }),
        );
        return { loss, gradient, parts: { nll: loss } };
      },
    );
    if (!Number.isFinite(result.loss)) {
      policy.clearGradients();
      throw new TrainingDivergedError(step, 'sft loss', `is ${result.loss}; lower the learning rate`);
    }
    const report = await policy.applyGradients();
    // NaN = not reported by the engine (remote APIs); a local model throws on a NaN norm itself.
    if (!Number.isFinite(report.gradNorm) && !Number.isNaN(report.gradNorm))
      throw new TrainingDivergedError(
        step,
        'sft grad norm',
        `is ${report.gradNorm}; lower the learning rate`,
      );
    const metrics: SftStepMetrics = {
      step,
      loss: result.loss,
      tokens,
      gradNorm: report.gradNorm,
      learningRate: report.learningRate,
    };
    history.push(metrics);
    await options.onStep?.(metrics);
  }
  return { steps: history.length, history, finalLoss: history[history.length - 1]?.loss ?? Number.NaN };
}

function shuffledOrder(size: number, seed: number, epoch: number): number[] {
  return new SeededRng(hashString(`oreal-ts/sft-order:${seed}:${epoch}`)).shuffle(
    Array.from({ length: size }, (_, i) => i),
  );
}
