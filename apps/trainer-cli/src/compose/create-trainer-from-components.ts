import { createTrainer, firstDepartureMarker, type Trainer, type TrainerHooks } from '@oreal-ts/trainer';
import type { OrealConfig } from '../config/schema';
import type { Components } from './create-components';

/**
 * A trainer over composed components and the config's `trainer` section, writing under `runDir`.
 * With generated problems (no `data.trainFile` / `data.evalFile`) the token reward model's credit
 * diagnostics mark a wrong rollout's first departure from the family's worked solution; problems
 * from files get none (their solutions are free-form, not the one way to write the answer).
 */
export function createTrainerFromComponents(
  components: Components,
  config: OrealConfig,
  runDir: string,
  hooks?: TrainerHooks,
): Trainer {
  return createTrainer({
    policy: components.policy,
    ...(components.reference ? { reference: components.reference } : {}),
    sampler: components.sampler,
    verifier: components.verifier,
    objective: components.objective,
    ...(components.tokenRewardModel ? { tokenRewardModel: components.tokenRewardModel } : {}),
    tokenizer: components.tokenizer,
    problems: components.problems,
    evalProblems: components.evalProblems,
    config: config.trainer,
    runDir,
    ...(components.fleet
      ? { publisher: components.fleet.publisherFor(runDir), weightSync: components.fleet.fleet }
      : {}),
    ...(hooks ? { hooks } : {}),
    ...(config.data.trainFile === undefined && config.data.evalFile === undefined
      ? { creditMarker: firstDepartureMarker }
      : {}),
  });
}
