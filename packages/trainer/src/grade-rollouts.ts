import type {
  Problem,
  Rollout,
  RolloutGroup,
  ScoredGroup,
  ScoredRollout,
  Verdict,
  Verifier,
} from '@oreal-ts/core';

/** Rewards given to correct and incorrect rollouts. */
export interface RewardValues {
  readonly correct: number;
  readonly incorrect: number;
}

/** A scored rollout that always carries its verdict. */
export interface GradedRollout extends ScoredRollout {
  readonly verdict: Verdict;
  readonly correct: boolean;
}

/** A problem's graded rollouts. */
export interface GradedGroup extends ScoredGroup {
  readonly rollouts: readonly GradedRollout[];
}

/**
 * Grade one rollout (OREAL loop step 2). A truncated rollout (`length`) and a failed one (`error`)
 * are incorrect without asking the verifier; a verifier that throws (against its contract) counts
 * as an `error` verdict, also incorrect.
 */
export async function gradeRollout(verifier: Verifier, problem: Problem, rollout: Rollout): Promise<Verdict> {
  if (rollout.finishReason === 'length') {
    return {
      correct: false,
      reason: 'truncated',
      gold: problem.answer,
      predicted: null,
      detail: 'hit the token budget',
    };
  }
  if (rollout.finishReason === 'error') {
    return {
      correct: false,
      reason: 'error',
      gold: problem.answer,
      predicted: null,
      detail: rollout.error ?? 'sampling failed',
    };
  }
  try {
    return await verifier.verify(problem, { text: rollout.text, finishReason: rollout.finishReason });
  } catch (error) {
    return {
      correct: false,
      reason: 'error',
      gold: problem.answer,
      predicted: null,
      detail: `verifier threw: ${(error as Error).message}`,
    };
  }
}

/** Grade every rollout of every group concurrently; results keep the groups' order. */
export async function gradeGroups(
  verifier: Verifier,
  groups: readonly RolloutGroup[],
  rewards: RewardValues,
): Promise<GradedGroup[]> {
  return Promise.all(
    groups.map(async (group) => ({
      problem: group.problem,
      rollouts: await Promise.all(
        group.rollouts.map(async (rollout): Promise<GradedRollout> => {
          const verdict = await gradeRollout(verifier, group.problem, rollout);
          const correct = verdict.correct === true;
          return { rollout, verdict, correct, reward: correct ? rewards.correct : rewards.incorrect };
        }),
      ),
    })),
  );
}
