import {
  InvalidArgumentError,
  SeededRng,
  type Objective,
  type SelectedRollout,
  type TokenBatch,
} from '@oreal-ts/core';
import type { GradedGroup, GradedRollout } from '../grade-rollouts';
import type { TokenizedRollout } from '../tokenize-rollouts';

/** One rollout chosen for training: the objective's choice, its grade and its tokens. */
export interface TrainingRow {
  readonly choice: SelectedRollout;
  readonly graded: GradedRollout;
  readonly rollout: TokenizedRollout;
}

/** Input of the select phase: the graded groups, the objective and the step's selection seed. */
export interface SelectInput {
  readonly objective: Objective;
  readonly graded: readonly GradedGroup[];
  readonly seed: number;
}

/** Output of the select phase: the rows to train on, their token batch and reward-model labels. */
export interface SelectOutput {
  /** Selected rollouts with at least one response token, in the objective's order. */
  readonly rows: readonly TrainingRow[];
  readonly batch: TokenBatch;
  /** Reward-model labels 1[r > 0] per row (the config guarantees rewardCorrect > 0 ≥ rewardIncorrect). */
  readonly positive: readonly boolean[];
}

/**
 * Select phase (pure): advantages over all K and filtering, both the objective's job; drops
 * empty responses and builds the token batch. Throws when the objective names a missing rollout.
 */
export function selectPhase(input: SelectInput): SelectOutput {
  const { objective, graded } = input;
  const selected = objective.select(graded, new SeededRng(input.seed));
  const rows = selected
    .map((choice) => {
      const gradedRollout = graded[choice.groupIndex]?.rollouts[choice.rolloutIndex];
      if (!gradedRollout) {
        throw new InvalidArgumentError(
          'objective',
          `'${objective.id}'.select returned group ${choice.groupIndex} rollout ${choice.rolloutIndex}, which does not exist`,
        );
      }
      return { choice, graded: gradedRollout, rollout: gradedRollout.rollout as TokenizedRollout };
    })
    .filter((row) => row.rollout.tokenIds.length > 0);
  return {
    rows,
    batch: {
      promptIds: rows.map((row) => row.rollout.promptTokenIds),
      responseIds: rows.map((row) => row.rollout.tokenIds),
    },
    positive: rows.map((row) => row.graded.reward > 0),
  };
}
