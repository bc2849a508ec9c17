import type { GradedGroup, GradedRollout } from './grade-rollouts';

/** The choice of one selected rollout, as far as a trajectory dump needs it. */
export interface TrajectoryChoice {
  readonly groupIndex: number;
  readonly rolloutIndex: number;
  readonly advantage: number;
}

/**
 * The records of `trajectories/step-NNNNNNNN.jsonl` (pure): every graded rollout of the step,
 * whether it was selected, its advantage and its token weights (null when not selected).
 */
export function trajectoryRecords(
  stepNumber: number,
  graded: readonly GradedGroup[],
  chosen: readonly TrajectoryChoice[],
  weights: readonly (readonly number[])[] | undefined,
): Record<string, unknown>[] {
  const byKey = new Map(
    chosen.map((choice, index) => [`${choice.groupIndex}:${choice.rolloutIndex}`, { choice, index }]),
  );
  return graded.flatMap((group, groupIndex) =>
    group.rollouts.map((r: GradedRollout, rolloutIndex) => {
      const hit = byKey.get(`${groupIndex}:${rolloutIndex}`);
      return {
        step: stepNumber,
        problemId: group.problem.id,
        sampleIndex: r.rollout.sampleIndex,
        prompt: r.rollout.prompt,
        response: r.rollout.text,
        finishReason: r.rollout.finishReason,
        correct: r.correct,
        reward: r.reward,
        verdict: { reason: r.verdict.reason, predicted: r.verdict.predicted, gold: r.verdict.gold },
        selected: hit !== undefined,
        advantage: hit ? hit.choice.advantage : null,
        tokenWeights: hit && weights ? (weights[hit.index] ?? null) : null,
      };
    }),
  );
}
