import { InvalidArgumentError, TrainingDivergedError, type TokenBatch } from '@oreal-ts/core';
import { createFakeTokenizer, createTabularPolicy } from '@oreal-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { supervisedFineTune, type SftStepMetrics } from './supervised-fine-tune';

describe('supervisedFineTune', () => {
  it('lowers the NLL of the responses (EOS included) on a trainable tabular policy', async () => {
    const tokenizer = createFakeTokenizer();
    const policy = createTabularPolicy({ vocabSize: 128, learningRate: 5 });
    const history: SftStepMetrics[] = [];
    const result = await supervisedFineTune({
      policy,
      tokenizer,
      examples: [
        { prompt: '1+1=', response: '2' },
        { prompt: '2+2=', response: '4' },
        { prompt: '3+3=', response: '6' },
      ],
      steps: 30,
      batchSize: 2,
      seed: 1,
      onStep: (m) => void history.push(m),
    });
    expect(result.steps).toBe(30);
    expect(history).toHaveLength(30);
    expect(result.finalLoss).toBeLessThan((history[0]?.loss ?? 0) - 1);
    // every batch carries 2 rows of (digit, EOS): 4 tokens
    expect(history.every((m) => m.tokens === 4)).toBe(true);
    const batch = policy.calls.find((c) => c.method === 'accumulateGradients')?.args[0] as TokenBatch;
    expect(batch.responseIds.every((row) => row[row.length - 1] === 0)).toBe(true);
    const p = policy.probabilities();
    const taught = ['2', '4', '6'].reduce((s, c) => s + (p[c.charCodeAt(0)] ?? 0), 0) + (p[0] ?? 0);
    expect(taught).toBeGreaterThan(0.9);
  });

  it('computes the mean NLL and its exact gradient −1/N', async () => {
    const policy = createTabularPolicy({ vocabSize: 128, learningRate: 0 });
    let seen: { loss: number; gradient: number[][] } | undefined;
    const spy = {
      ...policy,
      async accumulateGradients(batch: TokenBatch, loss: Parameters<typeof policy.accumulateGradients>[1]) {
        const result = await policy.accumulateGradients(batch, loss);
        seen = { loss: result.loss, gradient: result.gradient };
        return result;
      },
    };
    await supervisedFineTune({
      policy: spy,
      tokenizer: createFakeTokenizer(),
      examples: [{ prompt: 'a', response: 'bc' }],
      steps: 1,
      batchSize: 1,
      seed: 0,
    });
    // uniform over 128 ids: NLL per token = ln 128; three tokens (b, c, EOS)
    expect(seen?.loss).toBeCloseTo(Math.log(128), 10);
    expect(seen?.gradient).toEqual([[-1 / 3, -1 / 3, -1 / 3]]);
  });

  it('visits every example once per epoch in a seeded order', async () => {
    const policy = createTabularPolicy({ vocabSize: 128, learningRate: 0 });
    const examples = ['a', 'b', 'c', 'd', 'e'].map((r) => ({ prompt: 'q', response: r }));
    await supervisedFineTune({
      policy,
      tokenizer: createFakeTokenizer(),
      examples,
      steps: 5,
      batchSize: 2,
      seed: 3,
      appendEos: false,
    });
    const seen = policy.calls
      .filter((c) => c.method === 'accumulateGradients')
      .flatMap((c) => (c.args[0] as TokenBatch).responseIds.map((row) => String.fromCharCode(row[0] ?? 0)));
    expect(new Set(seen.slice(0, 5))).toEqual(new Set(['a', 'b', 'c', 'd', 'e']));
    expect(new Set(seen.slice(5, 10))).toEqual(new Set(['a', 'b', 'c', 'd', 'e']));
  });

  it('refuses empty input and stops on a non-finite loss', async () => {
    const policy = createTabularPolicy({ vocabSize: 128 });
    await expect(
      supervisedFineTune({
        policy,
        tokenizer: createFakeTokenizer(),
        examples: [],
        steps: 1,
        batchSize: 1,
        seed: 0,
      }),
    ).rejects.toThrow(InvalidArgumentError);
    const broken = { ...policy, accumulateGradients: async () => ({ loss: Number.NaN, gradient: [] }) };
    await expect(
      supervisedFineTune({
        policy: broken,
        tokenizer: createFakeTokenizer(),
        examples: [{ prompt: 'a', response: 'b' }],
        steps: 1,
        batchSize: 1,
        seed: 0,
      }),
    ).rejects.toThrow(TrainingDivergedError);
  });
});
