import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend, createTransformerPolicy } from '../src/index';

const config = { vocab_size: 11, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64 };

beforeAll(async () => {
  await initBackend({ quiet: true });
});

describe('smoke', () => {
  it('runs', async () => {
    console.log(tf.getBackend());
    const policy = createTransformerPolicy(config, { seed: 1 });
    const lp = await policy.logProbs({ promptIds: [[1, 2, 3], [4]], responseIds: [[5, 6], [7, 8, 9]] });
    console.log(lp);
    const session = await policy.startDecoding([[1, 2, 3], [4]]);
    const first = await session.prefill();
    const next = await session.step([5, 7]);
    const full = await policy.logits([[1, 2, 3, 5], [4, 7]]);
    console.log(first[0]?.slice(0, 3), full[0]?.[2]?.slice(0, 3), next[1]?.slice(0,3), full[1]?.[1]?.slice(0,3));
    session.dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      const r = await policy.accumulateGradients({ promptIds: [[1, 2, 3], [4]], responseIds: [[5, 6], [7, 8, 9]] }, (values) => ({
        loss: -values.flat().reduce((a, b) => a + b, 0),
        gradient: values.map((row) => row.map(() => -1)),
      }));
      const report = await policy.applyGradients();
      console.log(r.loss, report, tf.memory().numTensors);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
