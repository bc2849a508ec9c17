import type { Component } from './version';

/**
 * A batch of (prompt, response) token sequences, one row each. Rows may differ in length;
 * models pad internally (left padding for prompts) and mask the padding.
 */
export interface TokenBatch {
  readonly promptIds: readonly (readonly number[])[];
  readonly responseIds: readonly (readonly number[])[];
}

/** One number per response token, per row: `values[row][t]` belongs to `responseIds[row][t]`. */
export type PerTokenValues = number[][];

/** A loss over per-token model outputs, with its gradient with respect to those outputs. */
export interface LossWithGradient {
  /** Scalar loss (minimised). */
  readonly loss: number;
  /** `∂loss/∂values[row][t]`, same shape as the values the loss was given. */
  readonly gradient: PerTokenValues;
  /** Named components of the loss, for logging. */
  readonly parts?: Readonly<Record<string, number>>;
}

/**
 * A loss as a pure function of per-token model outputs (log-probs for a policy, scores for a
 * token reward model). Every loss in this project depends on the parameters only through these
 * outputs, so `∇θ loss = Σ_t gradient_t · ∇θ value_t` — which is how models apply it.
 */
export type PerTokenLoss = (values: PerTokenValues) => LossWithGradient;

/** What one optimiser step did. */
export interface OptimizerStepReport {
  /** Optimiser steps taken so far, this one included. */
  readonly step: number;
  /**
   * Global L2 norm of the gradient before clipping; `NaN` when the engine does not report it (a
   * remote training API). Infinity means the gradient overflowed.
   */
  readonly gradNorm: number;
  /** Whether the gradient was scaled down by global-norm clipping. */
  readonly clipped: boolean;
  /** Learning rate used for this step. */
  readonly learningRate: number;
}

/** A model whose parameters are trained by per-token losses, with its own optimiser and schedule. */
export interface TrainableModel {
  /**
   * Forward the batch, call `loss` once with the current per-token outputs, and add
   * `∇θ loss` to the accumulated gradients (several calls = gradient accumulation).
   * Returns what `loss` returned.
   */
  accumulateGradients(batch: TokenBatch, loss: PerTokenLoss): Promise<LossWithGradient>;
  /** Clip, apply and clear the accumulated gradients with the model's optimiser and schedule. */
  applyGradients(): Promise<OptimizerStepReport>;
  /** Drop accumulated gradients without applying them. */
  clearGradients(): void;
  /** Write parameters, optimiser and schedule state under `dir` (atomically). */
  save(dir: string): Promise<void>;
  /** Restore parameters, optimiser and schedule state written by `save`. */
  load(dir: string): Promise<void>;
}

/**
 * Incremental decoding with a cache. Call `prefill()` once, then `step()` once per new token.
 * Logits are returned as one `Float32Array` of length `vocabSize` per row.
 */
export interface DecodingSession {
  readonly batchSize: number;
  /** Logits for the first new token of each row, after reading the prompts. */
  prefill(): Promise<Float32Array[]>;
  /** Feed one token per row; returns the logits for the following token. */
  step(tokenIds: readonly number[]): Promise<Float32Array[]>;
  /** Release the cache. Safe to call twice. */
  dispose(): void;
}

/** A causal language model: log-probs of given responses, and incremental decoding. */
export interface Policy extends Component {
  readonly vocabSize: number;
  /** Number of trainable scalars. */
  readonly parameterCount: number;
  /** Longest prompt + response the model accepts. */
  readonly maxSequenceLength: number;
  /** `log π(y_t | prompt, y_<t)` for every response token of every row. No gradient is recorded. */
  logProbs(batch: TokenBatch): Promise<PerTokenValues>;
  /** Start decoding a batch of prompts (rows may differ in length). */
  startDecoding(promptIds: readonly (readonly number[])[]): Promise<DecodingSession>;
  /** Release the model's memory. */
  dispose(): void;
}

/** A policy that can be trained; `accumulateGradients` passes per-token log-probs to the loss. */
export interface TrainablePolicy extends Policy, TrainableModel {}

/**
 * A per-token scalar scorer: the token reward model's backbone (the policy's architecture
 * with a one-logit head). `scores` gives `s_t`, read at the position that predicts `y_t`.
 */
export interface TokenScorer extends Component, TrainableModel {
  readonly parameterCount: number;
  /** `s_t` for every response token of every row. No gradient is recorded. */
  scores(batch: TokenBatch): Promise<PerTokenValues>;
  dispose(): void;
}
