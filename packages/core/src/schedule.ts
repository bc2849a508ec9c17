/**
 * Learning-rate schedule: linear warm-up, then cosine decay to a floor.
 *
 *   lr(s) = lr_max · (s + 1) / W                                        for s < W
 *   lr(s) = lr_min + (lr_max − lr_min) · ½ (1 + cos(π · min(1, (s − W) / (S − W))))   otherwise
 *
 * with s the 0-based index of the step being taken, W warm-up steps, S total steps and
 * lr_min = lr_max · minLearningRateRatio. `totalSteps` 0 (or ≤ W) keeps lr_max after warm-up.
 * The schedule is stateless: its state is the optimiser's step count. Shared by every trainable
 * model (the local tfjs ones and remote engines) so they follow the same schedule.
 */

/** The schedule's settings (a subset of a model's training options). */
export interface LearningRateSchedule {
  /** Peak learning rate reached after warm-up. */
  readonly learningRate: number;
  /** Linear warm-up steps. */
  readonly warmupSteps: number;
  /** Steps of the whole schedule (warm-up included); 0 = constant after warm-up. */
  readonly totalSteps: number;
  /** The cosine decays to learningRate × this. */
  readonly minLearningRateRatio: number;
}

/** Learning rate for 0-based step `step`. */
export function scheduledLearningRate(options: LearningRateSchedule, step: number): number {
  const { learningRate, warmupSteps, totalSteps, minLearningRateRatio } = options;
  if (step < warmupSteps) return (learningRate * (step + 1)) / warmupSteps;
  if (totalSteps <= warmupSteps) return learningRate;
  const progress = Math.min(1, (step - warmupSteps) / (totalSteps - warmupSteps));
  const floor = learningRate * minLearningRateRatio;
  return floor + (learningRate - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
