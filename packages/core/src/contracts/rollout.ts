import type { Problem } from './problem';

/** Why generation ended: the stop token/string was produced, the token budget ran out, or it failed. */
export type FinishReason = 'stop' | 'length' | 'error';

/** One sampled response to one problem. */
export interface Rollout {
  /** Id of the problem this responds to. */
  readonly problemId: string;
  /** Index of this sample among the problem's K samples (0-based). */
  readonly sampleIndex: number;
  /** The prompt text the model saw (after templating). */
  readonly prompt: string;
  /** Prompt token ids, when the sampler tokenised locally. */
  readonly promptTokenIds?: readonly number[];
  /** The response text (includes the stop string when the stop was produced). */
  readonly text: string;
  /** Response token ids; the stop token, when produced, is the last one. Empty when unknown (remote). */
  readonly tokenIds: readonly number[];
  /**
   * Behaviour-policy log-prob of each response token. Aligned with `tokenIds` when those are known;
   * a remote sampler without token ids may report the server's own per-token log-probs here
   * (informational: a trainer re-tokenises such rollouts and re-scores them). Empty when unknown.
   */
  readonly logProbs: readonly number[];
  /** Why generation ended. */
  readonly finishReason: FinishReason;
  /** Error message when `finishReason` is `error`. */
  readonly error?: string;
  /**
   * Version of the policy weights that produced this rollout, as the server that sampled it
   * reported (`WeightSyncTarget.versionOfResponse`); never guessed. Undefined when unknown
   * (a local sampler reads the policy being trained, so its rollouts are always current).
   */
  readonly policyVersion?: number;
}

/** The K rollouts of one problem. */
export interface RolloutGroup {
  readonly problem: Problem;
  readonly rollouts: readonly Rollout[];
}
