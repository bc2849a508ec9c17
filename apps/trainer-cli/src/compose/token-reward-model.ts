import type { TokenRewardModel } from '@oreal-ts/core';
import { createTokenScorer, type TransformerPolicy } from '@oreal-ts/tensor-model';
import { createTokenRewardModel } from '@oreal-ts/token-rm';
import type { OptimizerConfig, OrealConfig } from '../config/schema';

/** The schedule settings the tensor-model factories take, for `totalSteps` optimiser steps. */
export function trainingOptions(optimizer: OptimizerConfig, totalSteps: number) {
  return {
    learningRate: optimizer.learningRate,
    weightDecay: optimizer.weightDecay,
    warmupSteps: optimizer.warmupSteps,
    totalSteps: Math.max(1, totalSteps),
    minLearningRateRatio: optimizer.minLearningRateRatio,
    gradClipNorm: optimizer.gradClipNorm,
  };
}

/**
 * The token reward model of `config.tokenRewardModel`, its scorer a copy of `backbone`'s weights
 * with a fresh scalar head (the backbone itself is not kept), trained over `trainer.steps` steps.
 */
export function createTokenRewardModelFromConfig(
  config: OrealConfig,
  backbone: TransformerPolicy,
): TokenRewardModel {
  return createTokenRewardModel({
    positiveThreshold: config.tokenRewardModel.positiveThreshold,
    negativeThreshold: config.tokenRewardModel.negativeThreshold,
    ...(config.tokenRewardModel.topKRescale ? { topKRescale: config.tokenRewardModel.topKRescale } : {}),
    scorer: createTokenScorer(backbone, {
      // Its schedule spans its own optimiser steps: one RL step makes `stepsPerStep` of them.
      training: trainingOptions(
        config.tokenRewardModel.optimizer,
        config.trainer.steps * config.trainer.rewardModel.stepsPerStep,
      ),
      seed: config.seed,
    }),
  });
}
