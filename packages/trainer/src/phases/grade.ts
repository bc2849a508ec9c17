import type { Verifier } from '@oreal-ts/core';
import { gradeGroups, type GradedGroup, type RewardValues } from '../grade-rollouts';
import type { SampledGroup } from './sample';

/** Input of the grade phase: the sampled groups, the verifier and the reward values. */
export interface GradeInput {
  readonly verifier: Verifier;
  readonly groups: readonly SampledGroup[];
  readonly rewards: RewardValues;
}

/** Output of the grade phase: every rollout with its verdict and reward, groups in order. */
export interface GradeOutput {
  readonly graded: readonly GradedGroup[];
}

/** Grade phase: verify every rollout and give it its outcome reward. */
export async function gradePhase(input: GradeInput): Promise<GradeOutput> {
  return { graded: await gradeGroups(input.verifier, input.groups, input.rewards) };
}
