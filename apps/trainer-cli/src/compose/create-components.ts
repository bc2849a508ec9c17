import {
  ConfigError,
  type Objective,
  type Policy,
  type Problem,
  type Sampler,
  type TokenRewardModel,
  type Tokenizer,
  type TrainablePolicy,
  type Verifier,
} from '@oreal-ts/core';
import { createMathVerifier } from '@oreal-ts/math-verifier';
import { createVerifierPool } from '@oreal-ts/math-verifier/pool';
import { createObjectiveRegistry } from '@oreal-ts/oreal-objective';
import { createLocalSampler, createOpenAISampler } from '@oreal-ts/sampler';
import {
  createCharTokenizer,
  createTransformerPolicy,
  initBackend,
  loadTokenizer,
  loadTransformerPolicy,
  type TransformerPolicy,
} from '@oreal-ts/tensor-model';
import { taskAlphabet } from '@oreal-ts/trainer';
import type { OptimizerConfig, OrealConfig } from '../config/schema';
import { createTokenRewardModelFromConfig, trainingOptions } from './token-reward-model';
import { createFleetComponents, type FleetComponents } from './create-fleet';
import { createTinkerEngine } from './create-tinker-engine';
import { loadProblems } from './load-problems';
import { promptTemplateFor } from './prompt-templates';

/** Which tfjs backend was chosen and why (from `initBackend`). */
export type BackendReport = Awaited<ReturnType<typeof initBackend>>;

/** Special tokens of the built-in character tokenizer. */
export const SPECIAL_TOKENS = ['<eos>'] as const;

/** Everything a training or evaluation run needs, built from one config. */
export interface Components {
  readonly backend: BackendReport;
  readonly tokenizer: Tokenizer;
  readonly policy: TrainablePolicy;
  /** Frozen copy of the initial policy (for the KL term), when the objective needs it. */
  readonly reference: Policy | undefined;
  readonly sampler: Sampler;
  readonly verifier: Verifier;
  readonly objective: Objective;
  readonly tokenRewardModel: TokenRewardModel | undefined;
  readonly problems: Problem[];
  readonly evalProblems: Problem[];
  /** The fleet and its weight publisher, when `fleet.weightSync` is not `none`. */
  readonly fleet?: FleetComponents;
  /** Release models and worker threads. */
  dispose(): Promise<void>;
}

/** Components to use instead of building them from the config (tests, forks). */
export type ComponentOverrides = Partial<
  Pick<
    Components,
    | 'tokenizer'
    | 'policy'
    | 'reference'
    | 'sampler'
    | 'verifier'
    | 'objective'
    | 'tokenRewardModel'
    | 'problems'
    | 'evalProblems'
  >
>;

export { trainingOptions } from './token-reward-model';

/** The built-in character tokenizer over the task alphabet. */
export function createTaskTokenizer(): Tokenizer & { save(dir: string): Promise<void> } {
  return createCharTokenizer({ characters: taskAlphabet, specialTokens: [...SPECIAL_TOKENS] });
}

/** Build (or load) the policy and tokenizer of `config.model`, with `totalSteps` optimiser steps. */
export async function createPolicyFromConfig(
  config: OrealConfig,
  optimizer: OptimizerConfig,
  totalSteps: number,
): Promise<{ policy: TrainablePolicy; tokenizer: Tokenizer }> {
  const training = trainingOptions(optimizer, totalSteps);
  if (config.model.checkpoint) {
    const tokenizer = await loadTokenizer(config.model.tokenizer ?? config.model.checkpoint);
    // A new run from saved weights: copy the parameters into a policy with a fresh optimiser and
    // schedule (the checkpoint's optimiser state belongs to the run that wrote it; `--resume`
    // restores that state through the trainer instead).
    const loaded = await loadTransformerPolicy(config.model.checkpoint, { training, fusedAttention: config.model.attention });
    try {
      return { policy: loaded.clone({ training }), tokenizer };
    } finally {
      loaded.dispose();
    }
  }
  const tokenizer = config.model.tokenizer
    ? await loadTokenizer(config.model.tokenizer)
    : createTaskTokenizer();
  const policy = createTransformerPolicy(
    { ...config.model.architecture, vocab_size: tokenizer.vocabSize },
    { seed: config.seed, training, fusedAttention: config.model.attention },
  );
  return { policy, tokenizer };
}

/** The objective named in `config.objective`, from the registry; an unknown name lists the known ones. */
export function createObjectiveFromConfig(config: OrealConfig): Objective {
  const registry = createObjectiveRegistry();
  const names = registry.names();
  if (!names.includes(config.objective.name)) {
    throw new ConfigError(
      'objective.name',
      `unknown objective ${JSON.stringify(config.objective.name)}; choose one of ${names.join(', ')}`,
    );
  }
  try {
    return registry.create(config.objective.name, config.objective.options);
  } catch (error) {
    // Objectives name their own fields (e.g. `oreal.klCoefficient`); say where they sit in the config.
    if (ConfigError.is(error)) {
      const field = error.path.split('.').slice(1).join('.');
      const detail = error.message.startsWith(`${error.path}: `)
        ? error.message.slice(error.path.length + 2)
        : error.message;
      throw new ConfigError(`objective.options${field ? `.${field}` : ''}`, detail, { cause: error });
    }
    throw error;
  }
}

/** The verifier of `config.verifier`: in process, or a worker pool when `threads > 0`. */
export function createVerifierFromConfig(config: OrealConfig): Verifier & { close?: () => Promise<void> } {
  if (config.verifier.threads > 0)
    return createVerifierPool({ threads: config.verifier.threads, timeoutMs: config.verifier.timeoutMs });
  return createMathVerifier({ timeoutMs: config.verifier.timeoutMs });
}

/** The sampler of `config.sampler`: the local policy, or OpenAI-compatible servers. */
export function createSamplerFromConfig(config: OrealConfig, policy: Policy, tokenizer: Tokenizer): Sampler {
  const prompt = promptTemplateFor(config.data.promptTemplate);
  const settings = config.sampler;
  if (settings.type === 'local')
    return createLocalSampler({ policy, tokenizer, prompt, batchSize: settings.batchSize });
  const apiKey = process.env[settings.apiKeyEnv];
  return createOpenAISampler({
    baseUrls: settings.baseUrls,
    model: settings.model,
    mode: settings.mode,
    prompt,
    ...(apiKey ? { apiKey } : {}),
    concurrencyPerUrl: settings.concurrencyPerUrl,
    maxRetries: settings.maxRetries,
    timeoutMs: settings.timeoutMs,
    tokenIds: settings.tokenIds,
  });
}

/**
 * Build every component a run needs from one config: the tfjs backend, tokenizer, policy, frozen
 * reference, sampler, verifier, objective, token reward model and the problems. Anything in
 * `overrides` is used as given instead.
 */
export async function createComponentsFromConfig(
  config: OrealConfig,
  overrides: ComponentOverrides = {},
): Promise<Components> {
  const backend = await initBackend({ quiet: true });
  const rlSteps = Math.max(1, config.trainer.steps - config.trainer.actorFreezeSteps);
  if (config.engine.type === 'tinker' && !overrides.policy)
    return createRemoteComponents(config, overrides, backend, rlSteps);
  const built =
    overrides.policy && overrides.tokenizer
      ? { policy: overrides.policy, tokenizer: overrides.tokenizer }
      : await createPolicyFromConfig(config, config.model.optimizer, rlSteps);
  const policy = overrides.policy ?? built.policy;
  const tokenizer = overrides.tokenizer ?? built.tokenizer;
  const objective = overrides.objective ?? createObjectiveFromConfig(config);
  const reference =
    'reference' in overrides
      ? overrides.reference
      : objective.requires.referenceLogProbs
        ? clonePolicy(policy)
        : undefined;
  const tokenRewardModel =
    'tokenRewardModel' in overrides
      ? overrides.tokenRewardModel
      : config.tokenRewardModel.enabled
        ? createTokenRewardModelFromConfig(config, asTransformerPolicy(policy))
        : undefined;
  const verifier = overrides.verifier ?? createVerifierFromConfig(config);
  const fleet =
    config.fleet.weightSync !== 'none' && !overrides.sampler
      ? createFleetComponents(config, policy, tokenizer)
      : undefined;
  const sampler = overrides.sampler ?? fleet?.sampler ?? createSamplerFromConfig(config, policy, tokenizer);
  const splits = overrides.problems && overrides.evalProblems ? undefined : await loadProblems(config);
  return {
    backend,
    tokenizer,
    policy,
    reference,
    sampler,
    verifier,
    objective,
    tokenRewardModel,
    problems: overrides.problems ?? splits?.train ?? [],
    evalProblems: overrides.evalProblems ?? splits?.test ?? [],
    ...(fleet ? { fleet } : {}),
    async dispose() {
      fleet?.fleet.close();
      tokenRewardModel?.dispose();
      if (reference && reference !== policy) reference.dispose();
      policy.dispose();
      const closable = verifier as { close?: () => Promise<void> };
      if (typeof closable.close === 'function') await closable.close();
    },
  };
}

/** The token reward model's backbone is built from the policy's weights, so the policy must be the built-in transformer. */
function asTransformerPolicy(policy: TrainablePolicy): TransformerPolicy {
  const candidate = policy as Partial<TransformerPolicy>;
  if (typeof candidate.clone !== 'function' || candidate.config === undefined) {
    throw new ConfigError(
      'tokenRewardModel.enabled',
      `the token reward model copies the policy's transformer weights, but ${policy.id} is not a @oreal-ts/tensor-model policy; pass your own tokenRewardModel or set tokenRewardModel.enabled: false`,
    );
  }
  return policy as TransformerPolicy;
}

function clonePolicy(policy: TrainablePolicy): Policy {
  const cloneable = policy as TrainablePolicy & { clone?: () => Policy };
  if (typeof cloneable.clone !== 'function') {
    throw new ConfigError(
      'objective',
      `needs a frozen reference policy but ${policy.id} cannot clone itself; pass a reference or set objective.options.beta: 0`,
    );
  }
  return cloneable.clone();
}

/** `engine.type: tinker`: policy, reference and sampler on the remote engine; verifier, objective and token RM local. */
async function createRemoteComponents(
  config: OrealConfig,
  overrides: ComponentOverrides,
  backend: BackendReport,
  rlSteps: number,
): Promise<Components> {
  if (config.fleet.weightSync !== 'none') {
    throw new ConfigError(
      'fleet.weightSync',
      "with engine.type tinker the engine samples from the weights it trains; leave fleet.weightSync at 'none'",
    );
  }
  if (config.sampler.type !== 'local') {
    throw new ConfigError(
      'sampler.type',
      "with engine.type tinker the rollouts come from the engine's sampler; leave sampler.type at 'local' (its default)",
    );
  }
  const objective = overrides.objective ?? createObjectiveFromConfig(config);
  const engine = await createTinkerEngine(config, {
    needsReference: !('reference' in overrides) && objective.requires.referenceLogProbs,
    rlSteps,
    taskTokenizer: createTaskTokenizer,
    ...(overrides.tokenizer ? { tokenizer: overrides.tokenizer } : {}),
  });
  const reference = 'reference' in overrides ? overrides.reference : engine.reference;
  const tokenRewardModel =
    'tokenRewardModel' in overrides ? overrides.tokenRewardModel : engine.tokenRewardModel;
  const verifier = overrides.verifier ?? createVerifierFromConfig(config);
  const splits = overrides.problems && overrides.evalProblems ? undefined : await loadProblems(config);
  return {
    backend,
    tokenizer: engine.tokenizer,
    policy: engine.policy,
    reference,
    sampler: overrides.sampler ?? engine.sampler,
    verifier,
    objective,
    tokenRewardModel,
    problems: overrides.problems ?? splits?.train ?? [],
    evalProblems: overrides.evalProblems ?? splits?.test ?? [],
    async dispose() {
      tokenRewardModel?.dispose();
      reference?.dispose();
      engine.policy.dispose();
      await engine.close();
      const closable = verifier as { close?: () => Promise<void> };
      if (typeof closable.close === 'function') await closable.close();
    },
  };
}
