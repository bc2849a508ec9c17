/** Optimiser and schedule options shared by the policy and the token scorer. */
import { z } from 'zod';
import { parseConfig } from '@oreal-ts/core';

/**
 * Training options (AdamW + linear warm-up + cosine decay + global-norm clipping).
 * Defaults: PyTorch AdamW (β₁ 0.9, β₂ 0.999, ε 1e-8), OREAL's weight decay 0.01 and clip 1.0.
 */
export interface TrainingOptions {
  /** Peak learning rate reached after warm-up. Default 1e-3 (small models trained from scratch). */
  readonly learningRate: number;
  /** Decoupled weight decay (AdamW), applied to matrices and embeddings only. Default 0.01. */
  readonly weightDecay: number;
  /** Default 0.9. */
  readonly beta1: number;
  /** Default 0.999. */
  readonly beta2: number;
  /** Default 1e-8. */
  readonly epsilon: number;
  /** Linear warm-up steps from lr/warmupSteps to lr. Default 0. */
  readonly warmupSteps: number;
  /** Steps of the cosine decay's whole schedule (warm-up included); 0 = constant after warm-up. Default 0. */
  readonly totalSteps: number;
  /** The cosine decays to learningRate × this. Default 0. */
  readonly minLearningRateRatio: number;
  /** Global L2 gradient-norm clip; 0 disables. Default 1.0. */
  readonly gradClipNorm: number;
}

/** Zod schema of `TrainingOptions` (all fields optional; defaults as documented). */
export const TrainingOptionsSchema = z.object({
  learningRate: z.number().positive().default(1e-3),
  weightDecay: z.number().min(0).default(0.01),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  epsilon: z.number().positive().default(1e-8),
  warmupSteps: z.number().int().min(0).default(0),
  totalSteps: z.number().int().min(0).default(0),
  minLearningRateRatio: z.number().min(0).max(1).default(0),
  gradClipNorm: z.number().min(0).default(1.0),
});

/** Fill defaults and validate; throws `ConfigError` naming the field. */
export function resolveTrainingOptions(base: Partial<TrainingOptions> = {}, override: Partial<TrainingOptions> = {}): TrainingOptions {
  return parseConfig(TrainingOptionsSchema, { ...base, ...override }, 'training');
}
