import {
  ConfigError,
  type Policy,
  type Sampler,
  type TokenRewardModel,
  type Tokenizer,
  type TrainablePolicy,
} from '@oreal-ts/core';
import {
  createTinkerPolicy,
  createTinkerSampler,
  createTinkerServiceClient,
  type TinkerPolicy,
  type TinkerServiceClient,
} from '@oreal-ts/tinker';
import { loadTokenizer, loadTransformerPolicy, readCheckpointConfig } from '@oreal-ts/tensor-model';
import type { OptimizerConfig, OrealConfig } from '../config/schema';
import { promptTemplateFor } from './prompt-templates';
import { createTokenRewardModelFromConfig, trainingOptions } from './token-reward-model';

/** The components a run gets from a remote Tinker engine. */
export interface TinkerEngineComponents {
  readonly service: TinkerServiceClient;
  readonly tokenizer: Tokenizer;
  readonly policy: TinkerPolicy;
  /** A second adapter on the same base model that is never stepped: the frozen reference. */
  readonly reference: Policy | undefined;
  readonly sampler: Sampler;
  /** Local tfjs token reward model whose backbone is the local copy of the base weights. */
  readonly tokenRewardModel: TokenRewardModel | undefined;
  /** Close the service client (stops its heartbeat). */
  close(): Promise<void>;
}

/**
 * The optimiser of a remote policy: the config's AdamW and schedule, with tensor-model's β₁ 0.9,
 * β₂ 0.999, ε 1e-8 (not Tinker's 0.95 / 1e-12 defaults), so a run on the local engine and on a
 * Tinker engine take the same steps.
 */
export function remoteOptimizer(optimizer: OptimizerConfig, totalSteps: number) {
  return { ...trainingOptions(optimizer, totalSteps), beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
}

/**
 * Build the policy, reference, sampler and token reward model of `engine.type: tinker`.
 *
 * - The tokenizer is local (`model.tokenizer`, else `model.checkpoint`); prompts are rendered and
 *   rollouts decoded here, token ids go over the wire.
 * - The policy is a LoRA adapter of `engine.baseModel` (rank `engine.loraRank`); the reference is a
 *   second, never-stepped adapter (at initialisation a LoRA adapter equals its base model).
 * - The engine cannot host OREAL's scalar token-reward head, so the token reward model stays a
 *   local tfjs model whose backbone is read from `model.checkpoint` (a local copy of the base
 *   weights): it sees the same token ids as the remote policy. Without a local checkpoint the
 *   reward model must be switched off (`tokenRewardModel.enabled: false`).
 */
export async function createTinkerEngine(
  config: OrealConfig,
  options: {
    readonly needsReference: boolean;
    readonly tokenizer?: Tokenizer;
    readonly rlSteps: number;
    readonly taskTokenizer: () => Tokenizer;
  },
): Promise<TinkerEngineComponents> {
  const engine = config.engine;
  if (engine.type !== 'tinker' || !engine.baseModel)
    throw new ConfigError('engine.baseModel', 'a Tinker engine needs engine.type tinker and a baseModel');
  const checkpoint = config.model.checkpoint;
  const tokenizerDir = config.model.tokenizer ?? checkpoint;
  const tokenizer =
    options.tokenizer ?? (tokenizerDir ? await loadTokenizer(tokenizerDir) : options.taskTokenizer());
  const localConfig = checkpoint ? await readCheckpointConfig(checkpoint) : undefined;
  const maxSequenceLength = engine.maxSequenceLength ?? localConfig?.max_position_embeddings;
  if (maxSequenceLength === undefined) {
    throw new ConfigError(
      'engine.maxSequenceLength',
      'is needed when there is no local model.checkpoint to read max_position_embeddings from',
    );
  }
  const vocabSize = localConfig?.vocab_size ?? tokenizer.vocabSize;
  const apiKey = process.env[engine.apiKeyEnv];
  const service = createTinkerServiceClient({
    ...(engine.baseUrl ? { baseUrl: engine.baseUrl } : {}),
    ...(apiKey ? { apiKey } : {}),
    timeoutMs: engine.timeoutMs,
  });
  try {
    const training = await service.createLoraTrainingClient({
      baseModel: engine.baseModel,
      rank: engine.loraRank,
    });
    const policy = createTinkerPolicy({
      training,
      vocabSize,
      maxSequenceLength,
      optimizer: remoteOptimizer(config.model.optimizer, options.rlSteps),
      id: `tinker/${engine.baseModel}`,
      ...(engine.parameterCount === undefined ? {} : { parameterCount: engine.parameterCount }),
    });
    let reference: Policy | undefined;
    if (options.needsReference) {
      const frozen = await service.createLoraTrainingClient({
        baseModel: engine.baseModel,
        rank: engine.loraRank,
      });
      reference = createTinkerPolicy({
        training: frozen,
        vocabSize,
        maxSequenceLength,
        optimizer: remoteOptimizer(config.model.optimizer, options.rlSteps),
        id: `tinker/${engine.baseModel}/reference`,
      });
    }
    const sampler = createTinkerSampler({
      service,
      policy,
      tokenizer,
      prompt: promptTemplateFor(config.data.promptTemplate),
      concurrency: engine.concurrency,
    });
    let tokenRewardModel: TokenRewardModel | undefined;
    if (config.tokenRewardModel.enabled) {
      if (!checkpoint) {
        throw new ConfigError(
          'tokenRewardModel.enabled',
          'with engine.type tinker the token reward model is a local tfjs model built from a local copy of the base weights; set model.checkpoint to that folder, or tokenRewardModel.enabled: false',
        );
      }
      const backbone = await loadTransformerPolicy(checkpoint);
      try {
        tokenRewardModel = createTokenRewardModelFromConfig(config, backbone);
      } finally {
        backbone.dispose();
      }
    }
    return {
      service,
      tokenizer,
      policy,
      reference,
      sampler,
      tokenRewardModel,
      close: async () => service.close(),
    };
  } catch (error) {
    service.close();
    throw error;
  }
}

/** Whether `policy` is trained by a remote engine (it cannot be cloned or decoded locally). */
export function isRemotePolicy(policy: TrainablePolicy): boolean {
  return (
    (policy as Partial<TinkerPolicy>).training !== undefined &&
    typeof (policy as Partial<TinkerPolicy>).samplerPath === 'function'
  );
}
