import type { SampleOutput } from '../phases/index';
import { dropStaleRollouts } from '../staleness';
import { samplePlan, trainOnGroups, type StepOutcome, type SyncStepContext } from './sync';

/** Everything the async scheduler needs for one step. */
export interface AsyncStepContext extends SyncStepContext {
  /** Rollouts staler than this (trainer version − rollout version) are dropped before grading. */
  readonly maxStaleness: number;
  /** This step's sample phase, started while the previous step trained; absent: sampled now. */
  readonly prefetched?: Promise<SampleOutput>;
  /**
   * Start the next step's sample phase (called once this step's rollouts are in, before it
   * trains). The caller keeps its promise and hands it to the next step as `prefetched`.
   */
  readonly prefetchNext?: () => void;
}

/**
 * The async scheduler: the same phases as the sync one, but the next step's sampling overlaps this
 * step's training (one batch of prefetch). This step's rollouts — sampled while the previous step
 * trained, so possibly by an older policy version — lose those whose staleness exceeds
 * `maxStaleness`, and groups left empty are skipped; the counts go to the step's metrics.
 * An error of the prefetched sample surfaces here, as this step's error.
 */
export async function runAsyncStep(context: AsyncStepContext): Promise<StepOutcome> {
  const start = performance.now();
  const { groups } = await (context.prefetched ??
    samplePlan(context.phases, context.components, context.plan));
  const sampled = performance.now();
  context.prefetchNext?.();
  const drop = dropStaleRollouts(groups, context.plan.policyVersion, context.maxStaleness);
  return trainOnGroups(
    context,
    drop.groups,
    { start, sampled },
    {
      rollouts: drop.droppedRollouts,
      groups: drop.droppedGroups,
    },
  );
}
