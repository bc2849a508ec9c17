import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, type TokenBatch } from '@oreal-ts/core';
import { createTokenScorer, createTransformerPolicy, loadTokenScorer, readCheckpointTensors, type TransformerPolicy } from '../src/index';
import { SCORE_HEAD } from '../src/token-scorer';
import type { TrainableDecoder } from '../src/model/trainable-decoder';
import { setupBackend } from './support';

const config = { vocab_size: 10, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 32 };
const batch: TokenBatch = { promptIds: [[1, 2], [3]], responseIds: [[4, 5, 6], [7]] };

let dir: string;
beforeAll(async () => {
  await setupBackend();
  dir = await mkdtemp(join(tmpdir(), 'tensor-model-scorer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createTokenScorer', () => {
  it("reads s_t = h·w at the position that predicts y_t, from a copy of the policy's backbone", async () => {
    const policy = createTransformerPolicy(config, { seed: 1 });
    const scorer = createTokenScorer(policy, { seed: 2 });
    const head = (scorer as unknown as TrainableDecoder).parameters.get(SCORE_HEAD)?.dataSync() as Float32Array;
    expect(head).toHaveLength(8);
    const hidden = await policy.hiddenStates(batch);
    const scores = await scorer.scores(batch);
    expect(scores.map((row) => row.length)).toEqual([3, 1]);
    scores.forEach((row, r) =>
      row.forEach((s, t) => {
        const h = hidden[r]?.[t] as Float32Array;
        const expected = h.reduce((sum, value, c) => sum + value * (head[c] as number), 0);
        expect(Math.abs(s - expected)).toBeLessThan(1e-5);
      }),
    );
    // The state before emitting y_t: changing y_t does not change s_t, changing y_{t-1} does.
    const changedLast = await scorer.scores({ promptIds: [[1, 2]], responseIds: [[4, 5, 9]] });
    expect(changedLast[0]?.slice(0, 3)).toEqual(scores[0]);
    const changedFirst = await scorer.scores({ promptIds: [[1, 2]], responseIds: [[9, 5, 6]] });
    expect(changedFirst[0]?.[0]).toBe(scores[0]?.[0]);
    expect(changedFirst[0]?.[1]).not.toBe(scores[0]?.[1]);
    scorer.dispose();
    policy.dispose();
  });

  it('trains its own copy (the policy is untouched) and saves/loads in its own directory', async () => {
    const policy = createTransformerPolicy(config, { seed: 3 });
    const before = await policy.logProbs(batch);
    const scorer = createTokenScorer(policy, { training: { learningRate: 0.01 } });
    // Push every score up: loss = −Σ s_t.
    const first = await scorer.scores(batch);
    for (let i = 0; i < 5; i++) {
      await scorer.accumulateGradients(batch, (values) => ({ loss: -values.flat().reduce((a, b) => a + b, 0), gradient: values.map((row) => row.map(() => -1)) }));
      const report = await scorer.applyGradients();
      expect(report.step).toBe(i + 1);
    }
    const after = await scorer.scores(batch);
    expect(after.flat().reduce((a, b) => a + b, 0)).toBeGreaterThan(first.flat().reduce((a, b) => a + b, 0));
    expect(await policy.logProbs(batch)).toEqual(before);
    const where = join(dir, 'scorer');
    await scorer.save(where);
    const names = [...(await readCheckpointTensors(where)).keys()];
    expect(names).toContain('score.weight');
    expect(names).not.toContain('lm_head.weight');
    expect(JSON.parse(await readFile(join(where, 'config.json'), 'utf8'))).toMatchObject({ architectures: ['LlamaForTokenClassification'], num_labels: 1 });
    const loaded = await loadTokenScorer(where);
    expect(await loaded.scores(batch)).toEqual(after);
    expect(loaded.step).toBe(5);
    loaded.dispose();
    scorer.dispose();
    policy.dispose();
  });

  it('refuses a policy it did not make', () => {
    expect(() => createTokenScorer({ config } as unknown as TransformerPolicy)).toThrow(InvalidArgumentError);
  });
});
