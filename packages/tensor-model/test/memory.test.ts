import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { PerTokenLoss } from '@oreal-ts/core';
import { createTokenScorer, createTransformerPolicy } from '../src/index';
import { setupBackend } from './support';

const config = { vocab_size: 12, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 32 };
const loss: PerTokenLoss = (values) => ({ loss: -values.flat().reduce((a, b) => a + b, 0), gradient: values.map((row) => row.map(() => -1)) });

beforeAll(setupBackend);

describe('no tensor growth', () => {
  it('keeps tf.memory().numTensors constant across 50 training steps (policy and scorer), decoding and log-probs after the first', async () => {
    const policy = createTransformerPolicy(config, { seed: 1, training: { learningRate: 1e-3 } });
    const scorer = createTokenScorer(policy);
    const batch = { promptIds: [[1, 2, 3], [4]], responseIds: [[5, 6], [7, 8, 9]] };
    // The first iteration creates the AdamW moments and the fused inference weights; count from after it.
    let baseline = 0;
    const counts: number[] = [];
    for (let step = 0; step <= 50; step++) {
      await policy.accumulateGradients(batch, loss);
      await policy.accumulateGradients({ promptIds: [[2]], responseIds: [[3, 4]] }, loss);
      await policy.applyGradients();
      await scorer.accumulateGradients(batch, loss);
      await scorer.applyGradients();
      await policy.logProbs(batch);
      await scorer.scores(batch);
      const session = await policy.startDecoding(batch.promptIds);
      await session.prefill();
      await session.step([1, 2]);
      session.dispose();
      if (step === 0) baseline = tf.memory().numTensors;
      else counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts)).toEqual(new Set([baseline]));
    scorer.dispose();
    policy.dispose();
  });
});
