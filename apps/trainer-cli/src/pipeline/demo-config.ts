import type { ConfigTree } from '../config/overrides';

/**
 * The demo's settings, sized to finish in ≤ 10 minutes on 2 CPU cores (wasm backend): a ~0.86 M
 * parameter character-level transformer (4 layers, width 128), a deliberately short SFT (450 steps
 * of 32) on two-digit additions whose worked solutions come from an imperfect teacher that forgets
 * the final carry in the boxed answer 70% of the time (so the SFT policy has learnt a systematic
 * error that outcome rewards reveal), then OREAL RL with the token reward model.
 *
 * Departures from the 7B reference, all for this scale (every one can be overridden with
 * `--config` / `--set`): B = 16 problems × K = 8 rollouts (reference 64 × 16); 60 RL steps;
 * policy lr 2e-4 (tiny model trained from scratch; reference 5e-7 at 7B) with 10 warm-up steps
 * (a fresh AdamW's first steps are sign-like and knocked the SFT policy back in shorter warm-ups);
 * 2 actor-freeze steps (reference 10); token-RM thresholds c₊ = 0, c₋ = 0, i.e. soft weights
 * ω⁺ = q, ω⁻ = 1 − q (the reference's `correct_threshold` / `incorrect_threshold` knobs; with the
 * reference 0.5 / 0.5 the same run reaches 77.0 held-out pass@1, 84.5 with 4 reward-model steps per
 * RL step, against 94.0 here — see docs/demo-results.md). The reward model's held-out diagnostics
 * are on (32 problems × 4 rollouts).
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
    optimizer: { learningRate: 2e-4, warmupSteps: 10, minLearningRateRatio: 0.5 },
    // The recorded numbers (49.5 → 94.0) come from the tensor formulation of attention. The fused
    // kernel (the default elsewhere on wasm) rounds differently, which sends a 60-step RL run down
    // another path: seed 1 gave 51 → 82, seeds 2 and 3 gave 90 and 91.5 (tensors: 76.5 for seed 2).
    attention: 'tensors',
  },
  data: {
    families: ['addition'],
    difficulty: { minDigits: 2, maxDigits: 2 },
    trainCount: 4000,
    evalCount: 200,
    promptTemplate: 'question',
  },
  sft: {
    steps: 450,
    batchSize: 32,
    teacherCarryDropRate: 0.7,
    optimizer: { learningRate: 3e-3, warmupSteps: 10, minLearningRateRatio: 0.1 },
  },
  sampler: { type: 'local', batchSize: 128 },
  objective: { name: 'oreal' },
  tokenRewardModel: {
    enabled: true,
    positiveThreshold: 0,
    negativeThreshold: 0,
    optimizer: { learningRate: 1e-3 },
  },
  trainer: {
    steps: 60,
    batchProblems: 16,
    rolloutsPerProblem: 8,
    actorFreezeSteps: 2,
    sampling: { temperature: 1, topP: 0.9, maxNewTokens: 40 },
    evalEvery: 10,
    evalSampled: true,
    evalSamplesPerProblem: 2,
    checkpoint: { every: 10, keepLast: 1 },
    trajectoryDumpEvery: 10,
    // Token-RM diagnostics on 32 held-out problems × 4 rollouts of the SFT policy (they change no training number).
    rewardModel: { heldOutProblems: 32, heldOutRolloutsPerProblem: 4 },
  },
  logging: { intervalSeconds: 15 },
};
