import { InvalidArgumentError } from '@oreal-ts/core';
import type { RandomSource, ScoredGroup, SelectedRollout } from '@oreal-ts/core';

/**
 * How rollouts are kept after the advantages are computed:
 * - `one-correct-one-incorrect` (OREAL reference, `filter_trajectory = True`): drop groups whose
 *   rollouts are all right or all wrong; keep ONE random correct and ONE random incorrect rollout
 *   of every other group;
 * - `keep-all`: keep every rollout of every group (all-same groups then carry A = 0 with the
 *   RLOO, GRPO and mean-baseline estimators);
 * - `positives-only`: keep every correct rollout (rejection-sampling fine-tuning).
 */
export type GroupFilter = 'one-correct-one-incorrect' | 'keep-all' | 'positives-only';

/** A rollout counts as correct when its reward is > 0 (OREAL: +1 correct, −1 otherwise). */
export function isCorrect(reward: number): boolean {
  return reward > 0;
}

function pick(indices: readonly number[], rng: RandomSource): number {
  const u = rng.next();
  if (!(u >= 0 && u < 1)) throw new InvalidArgumentError('rng', `next() must return a number in [0, 1), got ${u}`);
  return indices[Math.min(indices.length - 1, Math.floor(u * indices.length))] as number;
}

/**
 * Filter scored groups (oreal-method.md, step 4), given the advantages already computed over all
 * K rollouts of each group. Deterministic given `rng`: exactly two draws per surviving group in
 * `one-correct-one-incorrect` mode (first the correct, then the incorrect rollout), none otherwise.
 *
 * Shapes: groups `[G][K_g]`, advantages `[G][K_g]` → selected rows in group order (correct
 * before incorrect within a group).
 */
export function filterGroups(
  groups: readonly ScoredGroup[],
  advantages: readonly (readonly number[])[],
  filter: GroupFilter,
  rng: RandomSource,
): SelectedRollout[] {
  if (advantages.length !== groups.length) {
    throw new InvalidArgumentError('advantages', `expected one row per group (${groups.length}), got ${advantages.length}`);
  }
  const selected: SelectedRollout[] = [];
  groups.forEach((group, groupIndex) => {
    const groupAdvantages = advantages[groupIndex] as readonly number[];
    if (groupAdvantages.length !== group.rollouts.length) {
      throw new InvalidArgumentError(
        `advantages[${groupIndex}]`,
        `expected ${group.rollouts.length} values (one per rollout), got ${groupAdvantages.length}`,
      );
    }
    const row = (rolloutIndex: number): SelectedRollout => {
      const scored = group.rollouts[rolloutIndex];
      if (!scored) throw new InvalidArgumentError('rolloutIndex', `out of range: ${rolloutIndex}`);
      return {
        groupIndex,
        rolloutIndex,
        rollout: scored.rollout,
        reward: scored.reward,
        advantage: groupAdvantages[rolloutIndex] as number,
      };
    };
    const correct: number[] = [];
    const incorrect: number[] = [];
    group.rollouts.forEach((r, i) => (isCorrect(r.reward) ? correct : incorrect).push(i));
    switch (filter) {
      case 'keep-all':
        group.rollouts.forEach((_, i) => selected.push(row(i)));
        return;
      case 'positives-only':
        correct.forEach((i) => selected.push(row(i)));
        return;
      case 'one-correct-one-incorrect':
        if (correct.length === 0 || incorrect.length === 0) return;
        selected.push(row(pick(correct, rng)));
        selected.push(row(pick(incorrect, rng)));
        return;
    }
  });
  return selected;
}
