import type { Problem, RolloutGroup, SampleOptions, Sampler } from '@oreal-ts/core';

/** Counts of one or more `sample` calls: what was asked for against what came back. */
export interface DeliveryCounts {
  /** Rollouts delivered (each distinct (problem, sampleIndex) once). */
  readonly rollouts: number;
  /** Rollouts delivered more than once for the same (problem, sampleIndex), or for a problem not asked for. */
  readonly duplicated: number;
  /** (problem, sampleIndex) pairs asked for that never came back. */
  readonly lost: number;
  /** Delivered rollouts per reported policy version (`unknown` when the server said nothing). */
  readonly versions: Readonly<Record<string, number>>;
}

/**
 * Check one `sample` answer: every asked (problem, sampleIndex < n) exactly once. Pure; the
 * fleet demo and its tests use it to show exactly-once delivery across server failures.
 */
export function auditDelivery(
  problems: readonly Problem[],
  n: number,
  groups: readonly RolloutGroup[],
): DeliveryCounts {
  const asked = new Set(problems.map((p) => p.id));
  const seen = new Set<string>();
  let duplicated = 0;
  const versions: Record<string, number> = {};
  for (const group of groups) {
    for (const rollout of group.rollouts) {
      const key = `${rollout.problemId}\u0000${rollout.sampleIndex}`;
      if (!asked.has(rollout.problemId) || rollout.sampleIndex >= n || seen.has(key)) {
        duplicated++;
        continue;
      }
      seen.add(key);
      const version = rollout.policyVersion === undefined ? 'unknown' : String(rollout.policyVersion);
      versions[version] = (versions[version] ?? 0) + 1;
    }
  }
  return { rollouts: seen.size, duplicated, lost: asked.size * n - seen.size, versions };
}

/** Add two counts. */
export function addDeliveryCounts(a: DeliveryCounts, b: DeliveryCounts): DeliveryCounts {
  const versions: Record<string, number> = { ...a.versions };
  for (const [version, count] of Object.entries(b.versions))
    versions[version] = (versions[version] ?? 0) + count;
  return {
    rollouts: a.rollouts + b.rollouts,
    duplicated: a.duplicated + b.duplicated,
    lost: a.lost + b.lost,
    versions,
  };
}

/** A sampler that checks every answer of `inner` with `auditDelivery` and keeps the running totals. */
export function withDeliveryAudit(inner: Sampler): Sampler & { readonly counts: DeliveryCounts } {
  let counts: DeliveryCounts = { rollouts: 0, duplicated: 0, lost: 0, versions: {} };
  return {
    specificationVersion: inner.specificationVersion,
    id: inner.id,
    get counts() {
      return counts;
    },
    async sample(problems: readonly Problem[], options: SampleOptions): Promise<RolloutGroup[]> {
      const groups = await inner.sample(problems, options);
      counts = addDeliveryCounts(counts, auditDelivery(problems, options.n, groups));
      return groups;
    },
  };
}
