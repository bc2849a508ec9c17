import type { RandomSource, ScoredGroup, SelectedRollout } from '@oreal-ts/core';
import { groupAdvantages, type AdvantageEstimator } from './advantages';
import { filterGroups, type GroupFilter } from './filter-groups';

/** How an objective turns scored groups into rows: an advantage estimator, then a filter. */
export interface SelectionOptions {
  readonly advantageEstimator: AdvantageEstimator;
  /** ε of the GRPO estimator (ignored by the others). */
  readonly advantageEpsilon: number;
  readonly filter: GroupFilter;
  /**
   * Optional change to each group's advantages after the estimator and before the filter
   * (e.g. `withoutNegativeShaping`). Shapes: rewards `[K]`, advantages `[K]` → `[K]`.
   */
  readonly adjustAdvantages?: (rewards: readonly number[], advantages: number[]) => number[];
}

/**
 * Advantages over ALL K rollouts of each group with the chosen estimator (then
 * `adjustAdvantages`, when given), then the filter (oreal-method.md steps 3–4). Shapes: groups `[G][K_g]` → selected rows `[R]`.
 */
export function selectRollouts(
  groups: readonly ScoredGroup[],
  rng: RandomSource,
  options: SelectionOptions,
): SelectedRollout[] {
  const advantages = groups.map((group) => {
    const rewards = group.rollouts.map((r) => r.reward);
    const estimated = groupAdvantages(rewards, options.advantageEstimator, { epsilon: options.advantageEpsilon });
    return options.adjustAdvantages ? options.adjustAdvantages(rewards, estimated) : estimated;
  });
  return filterGroups(groups, advantages, options.filter, rng);
}
