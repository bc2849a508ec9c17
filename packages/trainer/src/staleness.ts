import type { Rollout } from '@oreal-ts/core';

/** Staleness of a step's rollouts: trainer version − the version that sampled each one. */
export interface StalenessStats {
  /** The policy version the step's update starts from. */
  readonly trainerVersion: number;
  /** Rollouts that carry a `policyVersion`. */
  readonly withVersion: number;
  /** Rollouts that do not (their server did not say): never counted as stale. */
  readonly withoutVersion: number;
  /** Mean and largest staleness over the rollouts with a version (null when none has one). */
  readonly mean: number | null;
  readonly max: number | null;
}

/** Staleness of every rollout of `groups` against `trainerVersion` (pure). */
export function stalenessOf(
  groups: readonly { readonly rollouts: readonly Pick<Rollout, 'policyVersion'>[] }[],
  trainerVersion: number,
): StalenessStats {
  let withVersion = 0;
  let withoutVersion = 0;
  let sum = 0;
  let max = -Infinity;
  for (const group of groups)
    for (const rollout of group.rollouts) {
      if (rollout.policyVersion === undefined) {
        withoutVersion++;
        continue;
      }
      const staleness = trainerVersion - rollout.policyVersion;
      withVersion++;
      sum += staleness;
      if (staleness > max) max = staleness;
    }
  return {
    trainerVersion,
    withVersion,
    withoutVersion,
    mean: withVersion === 0 ? null : sum / withVersion,
    max: withVersion === 0 ? null : max,
  };
}

/** What `dropStaleRollouts` removed. */
export interface StaleDrop<G> {
  /** The groups that kept at least one rollout, in order. */
  readonly groups: G[];
  readonly droppedRollouts: number;
  /** Groups that lost every rollout (skipped this step). */
  readonly droppedGroups: number;
}

/**
 * Drop the rollouts whose staleness (trainerVersion − policyVersion) exceeds `maxStaleness`, and
 * the groups left empty (pure). Rollouts without a version are kept.
 */
export function dropStaleRollouts<G extends { readonly rollouts: readonly Pick<Rollout, 'policyVersion'>[] }>(
  groups: readonly G[],
  trainerVersion: number,
  maxStaleness: number,
): StaleDrop<G> {
  let droppedRollouts = 0;
  let droppedGroups = 0;
  const kept: G[] = [];
  for (const group of groups) {
    const fresh = group.rollouts.filter(
      (r) => r.policyVersion === undefined || trainerVersion - r.policyVersion <= maxStaleness,
    );
    droppedRollouts += group.rollouts.length - fresh.length;
    if (fresh.length === 0) {
      droppedGroups++;
      continue;
    }
    kept.push(fresh.length === group.rollouts.length ? group : { ...group, rollouts: fresh });
  }
  return { groups: kept, droppedRollouts, droppedGroups };
}
