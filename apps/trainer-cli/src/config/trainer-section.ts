import { TrainerConfigSchema } from '@oreal-ts/trainer';

/** `trainer`: the RL loop's settings — exactly `@oreal-ts/trainer`'s `TrainerConfigSchema` (B, K, sampling, eval, checkpoints). */
export const TrainerSectionSchema = TrainerConfigSchema;
