import type { TrainablePolicy, WeightPublisher, WeightSync } from '@oreal-ts/core';

/** Input of the publish phase: the step just completed, the policy's version and where to publish. */
export interface PublishInput {
  readonly step: number;
  readonly policy: TrainablePolicy;
  /** Whether this step changed the policy (false for frozen and empty-batch steps). */
  readonly updated: boolean;
  /** Policy version after this step: the optimiser steps the policy has taken in RL (0 = start weights). */
  readonly version: number;
  /** Writes the weights as a version; absent: nothing is published (local sampling). */
  readonly publisher?: WeightPublisher;
  /** Brings the inference servers to a published version; absent: the folders are only written. */
  readonly weightSync?: WeightSync;
  /** Publish every N optimiser steps (`trainer.weightSync.every`). */
  readonly every: number;
}

/** Why a version was published. */
export type PublicationReason = 'start' | 'resume' | 'step' | 'eval';

/** One line of `<runDir>/weights.jsonl`: a published version and what the fleet made of it. */
export interface PublicationRecord {
  readonly type: 'publication';
  /** Trainer steps completed when it was published. */
  readonly step: number;
  readonly reason: PublicationReason;
  readonly version: number;
  readonly path: string;
  readonly sha256: string;
  readonly kind: 'full' | 'delta';
  readonly baseVersion?: number;
  readonly tensorCount: number;
  readonly bytes: number;
  /** True when an existing folder was synced again (a resume whose version was already on disk). */
  readonly reused: boolean;
  /** After a resume: versions newer than the resumed one that were removed (published by steps now run again). */
  readonly discarded?: readonly number[];
  /** Seconds `publisher.publish` took (0 when reused). */
  readonly publishSeconds: number;
  /** Seconds `weightSync.sync` took; null without a weight sync. */
  readonly syncSeconds: number | null;
  /** Servers that confirmed the version. */
  readonly confirmed: readonly string[];
  /** Servers that failed to load it (and left the pool), with the reason. */
  readonly failed: readonly { readonly baseUrl: string; readonly reason: string }[];
}

/** What `publishWeights` needs. */
export interface PublishWeightsOptions {
  readonly publisher: WeightPublisher;
  readonly weightSync?: WeightSync;
  readonly version: number;
  readonly step: number;
  readonly reason: PublicationReason;
  /**
   * After a resume: first discard the versions newer than `version` (their steps are run again),
   * then reuse the newest version on disk when it is `version` instead of writing it again.
   */
  readonly reuseLatest?: boolean;
}

/**
 * Publish the policy's current weights as `version` (or reuse the newest folder on disk when it
 * holds that version and `reuseLatest`), then have every server load it. A failing publisher, or a
 * weight sync left with no server, rejects: the run stops rather than sample off-policy.
 */
export async function publishWeights(options: PublishWeightsOptions): Promise<PublicationRecord> {
  const { publisher, weightSync, version } = options;
  const publishStart = performance.now();
  const discarded = options.reuseLatest ? await publisher.discardNewerThan(version) : [];
  const latest = options.reuseLatest ? await publisher.latest() : undefined;
  const reused = latest !== undefined && latest.version === version;
  const weights = reused && latest ? latest : await publisher.publish(version);
  const publishSeconds = reused ? 0 : (performance.now() - publishStart) / 1000;
  let syncSeconds: number | null = null;
  let confirmed: readonly string[] = [];
  let failed: PublicationRecord['failed'] = [];
  if (weightSync) {
    const syncStart = performance.now();
    const report = await weightSync.sync(weights);
    syncSeconds = (performance.now() - syncStart) / 1000;
    confirmed = [...report.confirmed];
    failed = report.failed.map((f) => ({ baseUrl: f.baseUrl, reason: f.reason }));
  }
  return {
    type: 'publication',
    step: options.step,
    reason: options.reason,
    version: weights.version,
    path: weights.path,
    sha256: weights.sha256,
    kind: weights.kind,
    ...(weights.baseVersion === undefined ? {} : { baseVersion: weights.baseVersion }),
    tensorCount: weights.tensorCount,
    bytes: weights.bytes,
    reused,
    ...(discarded.length > 0 ? { discarded: [...discarded] } : {}),
    publishSeconds,
    syncSeconds,
    confirmed,
    failed,
  };
}

/**
 * Publish phase: after a step that updated the policy, every `every` optimiser steps, publish the
 * weights as the new version and sync the servers (the sync schedule's "publish → every server
 * confirms → next step samples"). Without a publisher it does nothing (local sampling reads the
 * policy directly). Returns the publication, or null.
 */
export async function publishPhase(input: PublishInput): Promise<PublicationRecord | null> {
  if (!input.publisher || !input.updated || input.version % input.every !== 0) return null;
  return publishWeights({
    publisher: input.publisher,
    ...(input.weightSync ? { weightSync: input.weightSync } : {}),
    version: input.version,
    step: input.step,
    reason: 'step',
  });
}
