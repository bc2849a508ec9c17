import { describe, expectTypeOf, it } from 'vitest';
import type {
  Objective,
  Policy,
  Sampler,
  TokenRewardModel,
  TokenScorer,
  Tokenizer,
  TrainablePolicy,
  Verdict,
  Verifier,
} from './index';

// A research fork implements every contract with a plain object literal: no base class, no registration.
describe('contracts are implementable with plain objects', () => {
  it('Verifier', () => {
    const v = {
      specificationVersion: 'v1',
      id: 'my-lab/strict',
      async verify(): Promise<Verdict> {
        return { correct: false, reason: 'mismatch', gold: '1', predicted: '2' };
      },
    } satisfies Verifier;
    expectTypeOf(v).toMatchTypeOf<Verifier>();
  });
  it('Sampler', () => {
    const s = { specificationVersion: 'v1', id: 'my-lab/sampler', sample: async () => [] } satisfies Sampler;
    expectTypeOf(s).toMatchTypeOf<Sampler>();
  });
  it('Tokenizer', () => {
    const t = {
      specificationVersion: 'v1',
      id: 'my-lab/bytes',
      vocabSize: 256,
      encode: (text: string) => Array.from(text, (c) => c.charCodeAt(0)),
      decode: (ids: readonly number[]) => String.fromCharCode(...ids),
    } satisfies Tokenizer;
    expectTypeOf(t).toMatchTypeOf<Tokenizer>();
  });
  it('Policy and TrainablePolicy', () => {
    const base = {
      specificationVersion: 'v1' as const,
      id: 'my-lab/policy',
      vocabSize: 2,
      parameterCount: 2,
      maxSequenceLength: 16,
      logProbs: async () => [[-0.7]],
      startDecoding: async () => ({
        batchSize: 1,
        prefill: async () => [new Float32Array(2)],
        step: async () => [new Float32Array(2)],
        dispose: () => undefined,
      }),
      dispose: () => undefined,
    };
    expectTypeOf(base).toMatchTypeOf<Policy>();
    const trainable = {
      ...base,
      accumulateGradients: async () => ({ loss: 0, gradient: [] }),
      applyGradients: async () => ({ step: 1, gradNorm: 0, clipped: false, learningRate: 1e-3 }),
      clearGradients: () => undefined,
      save: async () => undefined,
      load: async () => undefined,
    } satisfies TrainablePolicy;
    expectTypeOf(trainable).toMatchTypeOf<TrainablePolicy>();
  });
  it('TokenScorer and TokenRewardModel', () => {
    const scorer = {
      specificationVersion: 'v1',
      id: 'my-lab/scorer',
      parameterCount: 1,
      scores: async () => [[0]],
      accumulateGradients: async () => ({ loss: 0, gradient: [] }),
      applyGradients: async () => ({ step: 1, gradNorm: 0, clipped: false, learningRate: 1e-3 }),
      clearGradients: () => undefined,
      save: async () => undefined,
      load: async () => undefined,
      dispose: () => undefined,
    } satisfies TokenScorer;
    expectTypeOf(scorer).toMatchTypeOf<TokenScorer>();
    const rm = {
      specificationVersion: 'v1',
      id: 'my-lab/rm',
      scores: async () => [[0]],
      tokenWeights: async () => [[1]],
      train: async () => ({ loss: 0.69, accuracy: 0.5, gradNorm: 0 }),
      save: async () => undefined,
      load: async () => undefined,
      dispose: () => undefined,
    } satisfies TokenRewardModel;
    expectTypeOf(rm).toMatchTypeOf<TokenRewardModel>();
  });
  it('Objective', () => {
    const o = {
      specificationVersion: 'v1',
      id: 'my-lab/objective',
      requires: { referenceLogProbs: false, oldLogProbs: false, tokenWeights: false },
      select: () => [],
      compute: () => ({ loss: 0, gradient: [], parts: {} }),
    } satisfies Objective;
    expectTypeOf(o).toMatchTypeOf<Objective>();
  });
});
