// The @oreal-ts/tinker client, TinkerPolicy and TinkerSampler against the local Tinker server over
// real HTTP on 127.0.0.1: the same objective gives the same log-probs, gradients' effect and
// rollouts as the in-process tfjs policy and LocalSampler, bit for bit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PerTokenLoss, Problem, TokenBatch, Tokenizer } from '@oreal-ts/core';
import {
  createCharTokenizer,
  createTransformerPolicy,
  initBackend,
  loadTokenizer,
  loadTransformerPolicy,
  type TransformerPolicy,
} from '@oreal-ts/tensor-model';
import { createLocalSampler, plainPrompt } from '@oreal-ts/sampler';
import {
  createTinkerPolicy,
  createTinkerSampler,
  createTinkerServiceClient,
  type TinkerServiceClient,
} from '@oreal-ts/tinker';
import { startTinkerServer, type RunningTinkerServer } from '../src/serve-tinker/index';
import { remoteOptimizer } from '../src/compose/create-tinker-engine';
import { temporaryDirs } from './support/temporary-dirs';

const tempDir = temporaryDirs();
const characters = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('') + '\n';
const problems: Problem[] = [
  { id: 'a', question: 'What is 2+3?', answer: '5' },
  { id: 'b', question: 'Compute 61+7.', answer: '68' },
  { id: 'c', question: 'What is 9+9?', answer: '18' },
];
const optimizer = {
  learningRate: 3e-3,
  weightDecay: 0.01,
  warmupSteps: 1,
  minLearningRateRatio: 0.1,
  gradClipNorm: 1,
};
let dir: string;
let served: TransformerPolicy;
let tokenizer: Tokenizer;
let server: RunningTinkerServer;
let service: TinkerServiceClient;

beforeAll(async () => {
  await initBackend({ quiet: true });
  dir = await tempDir('oreal-tinker-e2e-');
  const chars = createCharTokenizer({ characters, specialTokens: ['<eos>'] });
  const fresh = createTransformerPolicy(
    {
      vocab_size: chars.vocabSize,
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      max_position_embeddings: 160,
    },
    { seed: 3 },
  );
  await fresh.save(dir);
  await chars.save(dir);
  fresh.dispose();
  served = await loadTransformerPolicy(dir);
  tokenizer = await loadTokenizer(dir);
  server = await startTinkerServer({ policy: served, tokenizer, baseModel: 'tiny', port: 0 });
  service = createTinkerServiceClient({ baseUrl: server.url, pollIntervalMs: 5 });
});
afterAll(async () => {
  service.close();
  await server.close();
  served.dispose();
});

/** A loss with an uneven gradient per token (like OREAL's), as a pure function of ℓ. */
const loss: PerTokenLoss = (values) => {
  let total = 0;
  const gradient = values.map((row, r) =>
    row.map((value, t) => {
      const weight = (r % 2 === 0 ? 1 : -0.5) * (1 + t / 10);
      total -= weight * value;
      return -weight;
    }),
  );
  return { loss: total, gradient };
};

describe('TinkerPolicy over the local Tinker server', () => {
  it('takes the same steps as the in-process policy: log-probs, losses and learning rates equal bit for bit', async () => {
    const steps = 3;
    const local = (await loadTransformerPolicy(dir)).clone({ training: { ...optimizer, totalSteps: steps } });
    const training = await service.createLoraTrainingClient({ baseModel: 'tiny', rank: 8 });
    const remote = createTinkerPolicy({
      training,
      vocabSize: local.vocabSize,
      maxSequenceLength: local.maxSequenceLength,
      optimizer: remoteOptimizer(optimizer, steps),
    });
    // Prompts of different lengths, so the layout (left padding) matters.
    const batch: TokenBatch = {
      promptIds: [tokenizer.encode('What is 2+3?'), tokenizer.encode('9+9=?')],
      responseIds: [tokenizer.encode('5\n'), tokenizer.encode('18=18\n')],
    };
    try {
      for (let step = 0; step < steps; step++) {
        expect(await remote.logProbs(batch)).toEqual(await local.logProbs(batch));
        const here = await local.accumulateGradients(batch, loss);
        const there = await remote.accumulateGradients(batch, loss);
        expect(there.loss).toBe(here.loss);
        const a = await local.applyGradients();
        const b = await remote.applyGradients();
        expect(b.learningRate).toBe(a.learningRate);
        expect(b.gradNorm).toBe(a.gradNorm);
        expect(b.step).toBe(a.step);
      }
      expect(await remote.logProbs(batch)).toEqual(await local.logProbs(batch));
    } finally {
      local.dispose();
      remote.dispose();
    }
  });

  it('the TinkerSampler draws the same rollouts as the LocalSampler on the same weights (row seeds)', async () => {
    const training = await service.createLoraTrainingClient({ baseModel: 'tiny', rank: 8 });
    const remote = createTinkerPolicy({
      training,
      vocabSize: served.vocabSize,
      maxSequenceLength: served.maxSequenceLength,
      optimizer: remoteOptimizer(optimizer, 1),
    });
    const sampler = createTinkerSampler({ service, policy: remote, tokenizer, prompt: plainPrompt });
    const localSampler = createLocalSampler({
      policy: served,
      tokenizer,
      prompt: plainPrompt,
      batchSize: 64,
    });
    const options = { n: 4, temperature: 1, topP: 0.9, maxNewTokens: 12, seed: 17 };
    const [there, here] = [
      await sampler.sample(problems, options),
      await localSampler.sample(problems, options),
    ];
    // Tokens, text and stop reasons are identical. Log-probs agree to float32 rounding, not bit for
    // bit: the server decodes each problem's K rows as one batch, the LocalSampler all rows at once,
    // and XNNPACK's kernels round differently with the batch size (measured: |Δ| < 1e-7).
    const strip = (groups: typeof here) =>
      groups.map((g) =>
        g.rollouts.map((r) => ({
          tokens: r.tokenIds,
          text: r.text,
          finish: r.finishReason,
          prompt: r.promptTokenIds,
        })),
      );
    expect(strip(there)).toEqual(strip(here));
    there.forEach((group, i) =>
      group.rollouts.forEach((rollout, k) => {
        const reference = (here[i] as (typeof here)[number]).rollouts[k]?.logProbs ?? [];
        expect(rollout.logProbs.length).toBe(reference.length);
        rollout.logProbs.forEach((value, t) =>
          expect(Math.abs(value - (reference[t] as number))).toBeLessThan(1e-6),
        );
      }),
    );
    const greedy = { ...options, temperature: 0, n: 1 };
    expect(strip(await sampler.sample(problems, greedy))).toEqual(
      strip(await localSampler.sample(problems, greedy)),
    );
    remote.dispose();
  });
});
