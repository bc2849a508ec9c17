import type { Problem } from './problem';
import type { Rollout } from './rollout';
import type { Verdict } from './verdict';
import type { Component } from './version';

/** A uniform random source (see `SeededRng`). */
export interface RandomSource {
  /** Uniform in [0, 1). */
  next(): number;
}

/** A rollout with its outcome reward (OREAL: +1 correct, −1 otherwise). */
export interface ScoredRollout {
  readonly rollout: Rollout;
  readonly reward: number;
  readonly verdict?: Verdict;
}

/** A problem's K scored rollouts. */
export interface ScoredGroup {
  readonly problem: Problem;
  readonly rollouts: readonly ScoredRollout[];
}

/** A rollout chosen for the update, with its advantage (computed over all K before filtering). */
export interface SelectedRollout {
  readonly groupIndex: number;
  readonly rolloutIndex: number;
  readonly rollout: Rollout;
  readonly reward: number;
  readonly advantage: number;
}

/** Per-rollout inputs of a loss; every per-token array has the response's length. */
export interface ObjectiveRow {
  readonly reward: number;
  readonly advantage: number;
  /** `ℓ_t = log π_θ(y_t | …)` under the parameters being trained. */
  readonly logProbs: readonly number[];
  /** Log-probs of the behaviour policy that sampled the rollout (for ratio-based losses). */
  readonly oldLogProbs?: readonly number[];
  /** Log-probs under the frozen reference policy (for KL terms). */
  readonly referenceLogProbs?: readonly number[];
  /** Token importance weights ω (from the token reward model); 1 when absent. */
  readonly tokenWeights?: readonly number[];
}

/** A loss value, its gradient with respect to each row's `logProbs`, and named parts for logging. */
export interface ObjectiveResult {
  readonly loss: number;
  /** `∂loss/∂logProbs[row][t]`. */
  readonly gradient: number[][];
  /** Named parts (e.g. `positive`, `negative`, `kl`, `tokensPositive`) for metrics. */
  readonly parts: Readonly<Record<string, number>>;
}

/** Which inputs an objective needs; the trainer skips the work for the others. */
export interface ObjectiveRequirements {
  readonly referenceLogProbs: boolean;
  readonly oldLogProbs: boolean;
  readonly tokenWeights: boolean;
}

/**
 * An RL objective: how rollouts are selected and weighted (advantages, filtering), and the loss
 * over the selected rollouts' per-token log-probs.
 */
export interface Objective extends Component {
  readonly requires: ObjectiveRequirements;
  /** Advantages over all K rollouts of each group, then filtering. Deterministic given `rng`. */
  select(groups: readonly ScoredGroup[], rng: RandomSource): SelectedRollout[];
  /** The loss over the selected rows, with its gradient. Pure. */
  compute(rows: readonly ObjectiveRow[]): ObjectiveResult;
}
