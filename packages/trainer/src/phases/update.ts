import type { TrainablePolicy } from '@oreal-ts/core';

/** Input of the update phase: the policy holding the accumulated gradient. */
export interface UpdateInput {
  readonly policy: TrainablePolicy;
}

/** Output of the update phase: what the optimiser step reported. */
export interface UpdateOutput {
  readonly gradNorm: number;
  readonly learningRate: number;
  readonly clipped: boolean;
}

/** Update phase: one optimiser step on the accumulated gradient (clipping is the policy's job). */
export async function updatePhase(input: UpdateInput): Promise<UpdateOutput> {
  const applied = await input.policy.applyGradients();
  return { gradNorm: applied.gradNorm, learningRate: applied.learningRate, clipped: applied.clipped };
}
