import type { PerTokenValues, TokenBatch } from './model';
import type { Component } from './version';

/** What one reward-model training step did. */
export interface RewardModelStepReport {
  /** Binary cross-entropy of the sequence logit (mean token score) against the outcome. */
  readonly loss: number;
  /** Fraction of sequences whose sequence logit has the outcome's sign. */
  readonly accuracy: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
}

/**
 * OREAL's token-level reward model: per-token scores `s_t` trained from sequence outcomes only,
 * and the importance weights ω⁺ (positives) / ω⁻ (negatives) they induce.
 */
export interface TokenRewardModel extends Component {
  /** Raw per-token scores `s_t`. */
  scores(batch: TokenBatch): Promise<PerTokenValues>;
  /** Detached token weights: ω⁺ for rows with `positive[row]`, ω⁻ otherwise. */
  tokenWeights(batch: TokenBatch, positive: readonly boolean[]): Promise<PerTokenValues>;
  /** One training step on labelled sequences (`positive[row]` = outcome was correct). */
  train(batch: TokenBatch, positive: readonly boolean[]): Promise<RewardModelStepReport>;
  save(dir: string): Promise<void>;
  load(dir: string): Promise<void>;
  dispose(): void;
}
