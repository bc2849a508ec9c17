import type { VerdictReason } from '@oreal-ts/core';
import type { CreditShares, HeldOutDiagnostics } from './reward-model-diagnostics';

/**
 * Wall-clock measurements. Everything else in a metrics line is a deterministic function of the
 * seed, config and components; these fields are not, so they live under `timing` and tests strip them.
 */
export interface StepTiming {
  /** Seconds this step took. */
  readonly stepSeconds: number;
  readonly sampleSeconds: number;
  readonly verifySeconds: number;
  /** Reference log-probs, token weights, reward-model and policy updates. */
  readonly updateSeconds: number;
  /** Sampled tokens per second of sampling. */
  readonly tokensPerSecond: number;
  /** Seconds since this trainer object started (not carried across a resume). */
  readonly elapsedSeconds: number;
  /** Seconds the step's publication took (publish + sync); present when one happened. */
  readonly publishSeconds?: number;
}

/** Why a step did not update the policy (null when it did). */
export type SkipReason = 'actor-frozen' | 'empty-batch';

/** Token reward model outcome of one step. */
export interface RewardModelMetrics {
  /** Binary cross-entropy of the sequence logit against the outcome. */
  readonly loss: number;
  /** Fraction of sequences classified with the right sign. */
  readonly accuracy: number;
  readonly gradNorm: number;
  /** Mean token weight ω over the selected batch (only when the objective asked for weights). */
  readonly meanTokenWeight: number | null;
  /** Rows the reward model trained on and its optimiser steps this RL step. */
  readonly trainedRows?: number;
  readonly steps?: number;
  /**
   * Credit diagnostics (issue 16), on steps where they were measured (`rewardModel.diagnosticsEvery`):
   * ω⁻ mass on and after the first wrong token of the step's selected negatives, with the weights the
   * objective used (null on actor-freeze steps or without a credit marker).
   */
  readonly credit?: CreditShares | null;
  /** Accuracy and AUC of the sequence logit, and ω⁻ credit, on the held-out set (null: no set). */
  readonly heldOut?: HeldOutDiagnostics | null;
}

/** One line of `metrics.jsonl` per RL step. */
export interface StepMetrics {
  readonly type: 'step';
  /** 1-based step number. */
  readonly step: number;
  /** Data epoch the step's last problem came from (0-based). */
  readonly epoch: number;
  readonly problems: number;
  readonly rollouts: number;
  readonly rolloutsCorrect: number;
  /** Fraction of all B·K rollouts graded correct. */
  readonly passRate: number;
  /** Rollouts that hit the token budget (graded incorrect). */
  readonly truncatedRate: number;
  /** Count of verdict reasons over all rollouts. */
  readonly verdictReasons: Partial<Record<VerdictReason, number>>;
  /** Problems with at least one selected rollout. */
  readonly keptGroups: number;
  /** Selected rows, and how many of them are correct / incorrect. */
  readonly selectedRollouts: number;
  readonly selectedPositive: number;
  readonly selectedNegative: number;
  /** Mean advantage of the selected positives / negatives (null when there are none). */
  readonly meanAdvantagePositive: number | null;
  readonly meanAdvantageNegative: number | null;
  /** Null when the policy was updated; otherwise why not. */
  readonly skipped: SkipReason | null;
  /** The objective's loss (null when the policy was not updated). */
  readonly loss: number | null;
  /** The objective's named loss parts. */
  readonly lossParts: Readonly<Record<string, number>> | null;
  /** Mean k3 estimate of KL(π_θ ‖ π_ref) over the selected tokens, before the update (null without a reference or update). */
  readonly kl: number | null;
  /** Entropy estimate: mean −log-prob of the sampled tokens under the behaviour policy (null when the sampler gave none). */
  readonly entropy: number | null;
  readonly rewardModel: RewardModelMetrics | null;
  /** Response tokens sampled this step (all B·K rollouts). */
  readonly tokensSampled: number;
  readonly meanResponseTokens: number;
  /** Policy optimiser report (null when not updated). */
  readonly learningRate: number | null;
  readonly gradNorm: number | null;
  readonly clipped: boolean | null;
  /*
   * Issue 14 fields. Each group is present only where it applies (a local sampler's rollouts carry
   * no version, the TIS fields only with `importanceSampling`), so runs without a fleet write the
   * lines they always wrote.
   */
  /** The policy version the step's update started from (with `stalenessMean`). */
  readonly policyVersion?: number;
  /**
   * Mean and largest staleness (policyVersion − rollout.policyVersion) of the trained rollouts;
   * present when some rollout carries a version or a weight sync is configured (null when none does).
   */
  readonly stalenessMean?: number | null;
  readonly stalenessMax?: number | null;
  /** Trained rollouts whose server did not report a version. */
  readonly rolloutsWithoutVersion?: number;
  /** Async schedule: rollouts dropped for exceeding `maxStaleness`, and groups left empty by it. */
  readonly rolloutsDroppedStale?: number;
  readonly groupsDroppedStale?: number;
  /**
   * Sampler vs trainer log-probs of the selected rows' tokens (updating steps, rows with sampler
   * log-probs): mean and largest |ℓ_trainer − ℓ_sampler|, and the k3 estimate of KL(sampler ‖ trainer).
   */
  readonly logprobMismatchMean?: number;
  readonly logprobMismatchMax?: number;
  readonly logprobMismatchKl?: number;
  /** Tokens compared for the mismatch. */
  readonly logprobMismatchTokens?: number;
  /** Truncated importance sampling (only with `importanceSampling`): share of tokens at the cap, mean ratio, rows at ratio 1. */
  readonly tisClippedFraction?: number;
  readonly tisMeanRatio?: number;
  readonly tisRowsWithoutLogProbs?: number;
  readonly timing: StepTiming;
}

/** Held-out evaluation result. */
export interface EvalMetrics {
  readonly type: 'eval';
  /** Step after which it ran (0 = before training). */
  readonly step: number;
  readonly problems: number;
  /** Fraction of problems solved by the greedy (temperature 0) response. */
  readonly greedyPassAt1: number;
  /** Mean correctness of sampled responses (null when not measured). */
  readonly sampledPassAt1: number | null;
  readonly sampledRollouts: number;
  /** Fraction of greedy responses that hit the token budget. */
  readonly greedyTruncatedRate: number;
  readonly greedyMeanResponseTokens: number;
  readonly verdictReasons: Partial<Record<VerdictReason, number>>;
  readonly timing: { readonly evalSeconds: number };
}

/** Remove the wall-clock `timing` field from a metrics record (for comparing runs). */
export function withoutTiming<T extends { timing?: unknown }>(record: T): Omit<T, 'timing'> {
  const { timing: _timing, ...rest } = record;
  return rest;
}
