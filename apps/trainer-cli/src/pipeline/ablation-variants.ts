import type { OrealConfig } from '../config/schema';

/** One arm of `oreal ablate`. */
export interface AblationVariant {
  readonly name: string;
  readonly label: string;
  /** Registry name of the objective; undefined for the SFT-only arm (no RL). */
  readonly objective?: string;
  readonly tokenRewardModel: boolean;
}

/**
 * The arms, in the order of the paper's ablation (oreal-method.md): the SFT start, REINFORCE,
 * GRPO-style reward shaping over all samples, OREAL's loss without and with the token-level
 * reward model. All RL arms use the same seed, data order, B × K and steps.
 */
export const ABLATION_VARIANTS: readonly AblationVariant[] = [
  { name: 'sft-only', label: 'SFT only (no RL)', tokenRewardModel: false },
  { name: 'reinforce', label: 'REINFORCE', objective: 'reinforce', tokenRewardModel: false },
  { name: 'grpo', label: 'GRPO', objective: 'grpo', tokenRewardModel: false },
  { name: 'oreal-no-token-rm', label: 'OREAL without token RM', objective: 'oreal', tokenRewardModel: false },
  { name: 'oreal', label: 'OREAL', objective: 'oreal', tokenRewardModel: true },
];

/**
 * The config of an RL arm: its objective (the configured options only apply to `oreal`; other
 * objectives take their defaults) and token RM switch. Arms without a token reward model skip the
 * actor-freeze steps (those steps exist to warm up the reward model), so every arm makes the same
 * number of rollouts and the arms without a reward model are not handicapped.
 */
export function variantConfig(config: OrealConfig, variant: AblationVariant): OrealConfig {
  const objective = variant.objective ?? 'oreal';
  return {
    ...config,
    objective: {
      name: objective,
      options: objective === config.objective.name ? config.objective.options : {},
    },
    tokenRewardModel: { ...config.tokenRewardModel, enabled: variant.tokenRewardModel },
    trainer: {
      ...config.trainer,
      actorFreezeSteps: variant.tokenRewardModel ? config.trainer.actorFreezeSteps : 0,
    },
  };
}
