import { beforeAll, describe, expect, it } from 'vitest';
import type { PerTokenLoss, TokenBatch } from '@oreal-ts/core';
import { createTransformerPolicy } from '../src/index';
import { setupBackend } from './support';

beforeAll(setupBackend);

/**
 * Synthetic task: prompt [a, 10 + k − 1] (start digit a, stride k ∈ {1, 2, 3}) → response
 * (a + k), (a + 2k), … mod 10, six tokens. Predicting the sequence needs the stride token from
 * the prompt (attention) and the previous digit.
 */
function task(): TokenBatch {
  const promptIds: number[][] = [];
  const responseIds: number[][] = [];
  for (let a = 0; a < 10; a++) {
    for (let k = 1; k <= 3; k++) {
      promptIds.push([a, 9 + k]);
      responseIds.push(Array.from({ length: 6 }, (_, t) => (a + (t + 1) * k) % 10));
    }
  }
  return { promptIds, responseIds };
}

/** Mean negative log-likelihood per token, and its gradient. */
const meanNll: PerTokenLoss = (values) => {
  const count = values.reduce((n, row) => n + row.length, 0);
  return { loss: -values.flat().reduce((a, b) => a + b, 0) / count, gradient: values.map((row) => row.map(() => -1 / count)) };
};

describe('learning', () => {
  it('a ~1M-parameter model learns a synthetic sequence task to near-zero loss', { timeout: 240_000 }, async () => {
    const policy = createTransformerPolicy(
      { vocab_size: 16, hidden_size: 128, intermediate_size: 448, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 16 },
      { seed: 1, training: { learningRate: 3e-3, warmupSteps: 5, totalSteps: 120, minLearningRateRatio: 0.1 } },
    );
    expect(policy.parameterCount).toBeGreaterThan(800_000);
    expect(policy.parameterCount).toBeLessThan(1_200_000);
    const batch = task();
    const started = performance.now();
    const losses: number[] = [];
    for (let step = 0; step < 120; step++) {
      losses.push((await policy.accumulateGradients(batch, meanNll)).loss);
      await policy.applyGradients();
      if ((losses[losses.length - 1] as number) < 0.01) break;
    }
    const seconds = (performance.now() - started) / 1000;
    const final = -(await policy.logProbs(batch)).flat().reduce((a, b) => a + b, 0) / (batch.responseIds.length * 6);
    console.log(`learned in ${losses.length} steps, ${seconds.toFixed(1)} s; loss ${losses[0]?.toFixed(3)} → ${final.toFixed(4)}`);
    expect(losses[0]).toBeGreaterThan(1.5); // ≈ ln 16 at the start
    expect(final).toBeLessThan(0.05);
    // Greedy decoding with the KV cache reproduces the sequences.
    const session = await policy.startDecoding(batch.promptIds);
    let logits = await session.prefill();
    const decoded: number[][] = batch.promptIds.map(() => []);
    for (let t = 0; t < 6; t++) {
      const next = logits.map((row) => row.indexOf(Math.max(...row)));
      next.forEach((id, r) => decoded[r]?.push(id));
      logits = await session.step(next);
    }
    session.dispose();
    expect(decoded).toEqual(batch.responseIds);
    policy.dispose();
  });
});
