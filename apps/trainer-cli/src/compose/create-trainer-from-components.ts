import { createTrainer, type Trainer, type TrainerHooks } from '@oreal-ts/trainer';
import type { OrealConfig } from '../config/schema';
import type { Components } from './create-components';

/** A trainer over composed components and the config's `trainer` section, writing under `runDir`. */
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
  });
}
