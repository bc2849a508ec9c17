import type { ConfigTree } from '../config/overrides';

/**
 * The demo's settings, sized to finish in ≤ 10 minutes on 2 CPU cores (wasm backend): a ~0.8 M
 * parameter character-level transformer, a deliberately short SFT, then OREAL RL with small B × K.
 * Departures from the 7B reference, all for this scale: B = 16 problems × K = 8 rollouts (reference
 * 64 × 16), a policy learning rate suited to a tiny model trained from scratch, 2 actor-freeze steps
 * (reference 10), and short responses. Every value can be overridden with `--config` / `--set`.
 */
export const DEMO_CONFIG: ConfigTree = {
  seed: 1,
  model: {
    architecture: {
      hidden_size: 128,
      intermediate_size: 384,
      num_hidden_layers: 4,
      num_attention_heads: 4,
      num_key_value_heads: 4,
      max_position_embeddings: 64,
    },
    optimizer: { learningRate: 3e-4, warmupSteps: 0, minLearningRateRatio: 0.5 },
  },
  data: { families: ['addition'], difficulty: { minDigits: 2, maxDigits: 3 }, trainCount: 4000, evalCount: 100, promptTemplate: 'question' },
  sft: { steps: 60, batchSize: 32, optimizer: { learningRate: 2e-3, warmupSteps: 10 } },
  sampler: { type: 'local', batchSize: 64 },
  objective: { name: 'oreal' },
  tokenRewardModel: { enabled: true, optimizer: { learningRate: 1e-3 } },
  trainer: {
    steps: 40,
    batchProblems: 16,
    rolloutsPerProblem: 8,
    actorFreezeSteps: 2,
    sampling: { temperature: 1, topP: 0.9, maxNewTokens: 48 },
    evalEvery: 10,
    evalSampled: false,
    checkpoint: { every: 10, keepLast: 1 },
    trajectoryDumpEvery: 10,
  },
  logging: { intervalSeconds: 15 },
};
