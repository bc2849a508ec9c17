import type { TrainablePolicy } from '@oreal-ts/core';

/** Input of the publish phase: the step just completed and the updated policy. */
export interface PublishInput {
  readonly step: number;
  readonly policy: TrainablePolicy;
  /** Whether this step changed the policy (false for frozen and empty-batch steps). */
  readonly updated: boolean;
}

/**
 * Publish phase: the hook point where updated weights will be handed to inference servers
 * (issue 14, weight sync). The default does nothing; replace it through `phases.publish`.
 */
export async function publishPhase(_input: PublishInput): Promise<void> {
  // Deliberately empty: local sampling reads the policy directly.
}
