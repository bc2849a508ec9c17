/**
 * The token reward model and the OREAL objective on the REAL transformer of
 * `@oreal-ts/tensor-model` (tiny config, wasm/cpu backend):
 * (a) credit assignment: responses are wrong exactly when they contain a marker token; after the
 *     reward model is trained on such rollouts, most of the ω⁻ mass of negatives lies at or after
 *     the marker and positives keep ω⁺ > 0 on most tokens;
 * (b) no tensor leak: `tf.memory().numTensors` is constant across 50 steps of
 *     policy.accumulateGradients (OREAL objective) + applyGradients + reward-model train + weights.
 */
import * as tf from '@tensorflow/tfjs';
import type { ObjectiveRow, ScoredGroup, TokenBatch } from '@oreal-ts/core';
import { SeededRng } from '@oreal-ts/core';
import { createOrealObjective } from '@oreal-ts/oreal-objective';
import { createTokenScorer, createTransformerPolicy, initBackend } from '@oreal-ts/tensor-model';
import { createTokenRewardModel } from '@oreal-ts/token-rm';
import { beforeAll, describe, expect, it } from 'vitest';

const VOCAB = 16;
const PROMPT = [1];
const MARKER = 15; // wrong exactly when the response contains it
const MIN_LENGTH = 6;
const MAX_LENGTH = 12;
const RM_STEPS = 60;

const CONFIG = {
  model_type: 'llama' as const,
  vocab_size: VOCAB,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 32,
  rope_theta: 10000,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
};

interface MarkedBatch {
  readonly batch: TokenBatch;
  readonly positive: boolean[];
  /** Index of the marker in each response, −1 for positives. */
  readonly markerAt: number[];
}

/**
 * `size` responses of 6–12 ordinary tokens (2..14). One row in four is wrong (pass rate 0.75) and
 * carries the marker in the first half of the response — [0, ⌊(T − 2)/2⌋) — so several tokens follow
 * it (s_t is read at the state BEFORE y_t: the marker is first visible to the score of the token
 * after it). Why this regime: the mean-score BCE does not pin per-token scores; with a balanced
 * batch, late markers and long training the transformer can also fit the outcomes with
 * position-dependent offsets that move ω⁻ mass before the marker (see the token-rm README).
 */
function markedBatch(rng: SeededRng, size: number): MarkedBatch {
  const responseIds: number[][] = [];
  const positive: boolean[] = [];
  const markerAt: number[] = [];
  for (let i = 0; i < size; i++) {
    const length = MIN_LENGTH + rng.int(MAX_LENGTH - MIN_LENGTH + 1);
    const row = Array.from({ length }, () => 2 + rng.int(13));
    const wrong = i % 4 === 1;
    const at = wrong ? rng.int(Math.max(1, Math.floor((length - 2) / 2))) : -1;
    if (wrong) row[at] = MARKER;
    responseIds.push(row);
    positive.push(!wrong);
    markerAt.push(at);
  }
  return { batch: { promptIds: responseIds.map(() => PROMPT), responseIds }, positive, markerAt };
}

describe('token reward model + OREAL objective on the real transformer', () => {
  beforeAll(async () => {
    await initBackend({ quiet: true });
  });

  it('(a) credit assignment: ω⁻ mass of negatives at or after the marker, ω⁺ > 0 on most positive tokens', async () => {
    const policy = createTransformerPolicy(CONFIG, { seed: 3, training: { learningRate: 1e-3 } });
    const rewardModel = createTokenRewardModel({
      scorer: createTokenScorer(policy, { training: { learningRate: 3e-3 } }),
    });
    try {
      const rng = new SeededRng(21);
      const reports = [];
      for (let step = 0; step < RM_STEPS; step++) {
        const { batch, positive } = markedBatch(rng, 16);
        reports.push(await rewardModel.train(batch, positive));
      }
      const last = reports.slice(-10);
      const meanAccuracy = last.reduce((s, r) => s + r.accuracy, 0) / last.length;
      const meanLoss = last.reduce((s, r) => s + r.loss, 0) / last.length;
      expect(meanLoss).toBeLessThan((reports[0]?.loss ?? 0) / 2);
      expect(meanAccuracy).toBeGreaterThan(0.9);

      const { batch, positive, markerAt } = markedBatch(rng, 64);
      const weights = await rewardModel.tokenWeights(batch, positive);
      let atOrAfter = 0;
      let total = 0;
      let positiveTokens = 0;
      let positiveWeighted = 0;
      weights.forEach((row, i) =>
        row.forEach((w, t) => {
          if (positive[i]) {
            positiveTokens++;
            if (w > 0) positiveWeighted++;
          } else {
            total += w;
            if (t >= (markerAt[i] as number)) atOrAfter += w;
          }
        }),
      );
      console.log(
        `real-transformer token RM after ${RM_STEPS} steps: loss ${meanLoss.toFixed(4)} (start ${reports[0]?.loss.toFixed(4)}), ` +
          `accuracy ${meanAccuracy.toFixed(3)}, ω⁻ mass at/after marker ${(atOrAfter / total).toFixed(3)}, ` +
          `positive tokens with ω⁺ > 0 ${(positiveWeighted / positiveTokens).toFixed(3)}`,
      );
      expect(total).toBeGreaterThan(0);
      expect(atOrAfter / total).toBeGreaterThan(0.8);
      expect(positiveWeighted / positiveTokens).toBeGreaterThan(0.5);
    } finally {
      rewardModel.dispose();
      policy.dispose();
    }
  });

  it('(b) tf.memory().numTensors is constant across 50 objective + reward-model steps', async () => {
    const policy = createTransformerPolicy(CONFIG, { seed: 4, training: { learningRate: 1e-3 } });
    const reference = policy.clone();
    const rewardModel = createTokenRewardModel({
      scorer: createTokenScorer(policy, { training: { learningRate: 3e-3 } }),
    });
    const objective = createOrealObjective();
    const rng = new SeededRng(8);
    const step = async (): Promise<void> => {
      // 4 groups of K = 4 rollouts (3 right, 1 wrong each); correctness = no marker
      const { batch, positive } = markedBatch(rng, 16);
      const groups: ScoredGroup[] = Array.from({ length: 4 }, (_, g) => ({
        problem: { id: `p${g}`, question: 'q', answer: 'a' },
        rollouts: Array.from({ length: 4 }, (_, k) => {
          const row = g * 4 + k;
          const tokenIds = batch.responseIds[row] as number[];
          return {
            reward: positive[row] ? 1 : -1,
            rollout: {
              problemId: `p${g}`,
              sampleIndex: k,
              prompt: 'q',
              text: '',
              tokenIds,
              logProbs: tokenIds.map(() => -1),
              finishReason: 'stop' as const,
            },
          };
        }),
      }));
      const selected = objective.select(groups, rng);
      const selectedBatch: TokenBatch = {
        promptIds: selected.map(() => PROMPT),
        responseIds: selected.map((s) => s.rollout.tokenIds),
      };
      const selectedPositive = selected.map((s) => s.reward > 0);
      await rewardModel.train(selectedBatch, selectedPositive);
      const tokenWeights = await rewardModel.tokenWeights(selectedBatch, selectedPositive);
      const referenceLogProbs = await reference.logProbs(selectedBatch);
      await policy.accumulateGradients(selectedBatch, (logProbs) =>
        objective.compute(
          selected.map((s, i): ObjectiveRow => ({
            reward: s.reward,
            advantage: s.advantage,
            logProbs: logProbs[i] as number[],
            referenceLogProbs: referenceLogProbs[i] as number[],
            tokenWeights: tokenWeights[i] as number[],
          })),
        ),
      );
      await policy.applyGradients();
    };
    try {
      await step(); // the optimisers create their moment variables on the first step
      const before = tf.memory().numTensors;
      for (let i = 0; i < 50; i++) await step();
      expect(tf.memory().numTensors).toBe(before);
      expect(policy.step).toBe(51); // every step was a real optimiser update
    } finally {
      rewardModel.dispose();
      reference.dispose();
      policy.dispose();
    }
  });
});
