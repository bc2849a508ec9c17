import type { OrealConfig } from '../config/schema';

/** One arm of `oreal ablate`. */
export interface AblationVariant {
  readonly name: string;
  readonly label: string;
  /** Registry name of the objective; undefined for the SFT-only arm (no RL). */
  readonly objective?: string;
  /** Options this arm sets on its objective, over the configured ones (`variantConfig`). */
  readonly objectiveOptions?: Readonly<Record<string, unknown>>;
  readonly tokenRewardModel: boolean;
}

/**
 * The arms, in the order of the paper's ablation (oreal-method.md), extended with the usual
 * baselines: the SFT start; REINFORCE (mean baseline), RLOO and GRPO / Dr. GRPO (reward shaping
 * over all samples, without and with the clipped ratio); OREAL's loss without the token-level
 * reward model, without the reward shaping of negatives (`shapeNegatives: false`: negatives
 * weighted like their group's positives, |A⁻|/A⁺ = 1 instead of p/(1−p)) and the full method.
 * Within a seed every RL arm starts from the same SFT checkpoint with the same data order and
 * B × K × steps rollouts.
 */
export const ABLATION_VARIANTS: readonly AblationVariant[] = [
  { name: 'sft-only', label: 'SFT only (no RL)', tokenRewardModel: false },
  { name: 'reinforce', label: 'REINFORCE', objective: 'reinforce', tokenRewardModel: false },
  { name: 'rloo', label: 'RLOO', objective: 'rloo', tokenRewardModel: false },
  { name: 'grpo', label: 'GRPO', objective: 'grpo', tokenRewardModel: false },
  { name: 'dr-grpo', label: 'Dr. GRPO', objective: 'dr-grpo', tokenRewardModel: false },
  { name: 'oreal-no-token-rm', label: 'OREAL without token RM', objective: 'oreal', tokenRewardModel: false },
  {
    name: 'oreal-no-negative-shaping',
    label: 'OREAL without negative shaping',
    objective: 'oreal',
    objectiveOptions: { shapeNegatives: false },
    tokenRewardModel: true,
  },
  { name: 'oreal', label: 'OREAL', objective: 'oreal', tokenRewardModel: true },
];

/**
 * The config of an RL arm: its objective (the configured options only apply when the configured
 * objective is the arm's; other objectives take their defaults, then the arm's own
 * `objectiveOptions`; Dr. GRPO's `constantNormalizer` is the sampler's `maxNewTokens`, as its
 * paper prescribes) and token RM switch. Arms without a token reward model skip the actor-freeze
 * steps (those steps exist to warm up the reward model), so every arm makes the same number of
 * rollouts and the arms without a reward model are not handicapped.
 */
export function variantConfig(config: OrealConfig, variant: AblationVariant): OrealConfig {
  const objective = variant.objective ?? 'oreal';
  const configured = objective === config.objective.name ? config.objective.options : {};
  const prescribed =
    objective === 'dr-grpo' ? { constantNormalizer: config.trainer.sampling.maxNewTokens } : {};
  return {
    ...config,
    objective: {
      name: objective,
      options: { ...prescribed, ...configured, ...variant.objectiveOptions },
    },
    tokenRewardModel: { ...config.tokenRewardModel, enabled: variant.tokenRewardModel },
    trainer: {
      ...config.trainer,
      actorFreezeSteps: variant.tokenRewardModel ? config.trainer.actorFreezeSteps : 0,
    },
  };
}
