// `oreal serve` with a tiny real checkpoint from @oreal-ts/tensor-model (saved, then loaded as the CLI
// does), on 127.0.0.1 with real sockets; the HTTP sampler as client; the local sampler's memory and
// determinism with the real model; and the same problems through both samplers.
import { rm } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Policy, Problem, SampleOptions, Tokenizer } from '@oreal-ts/core';
import {
  createCharTokenizer,
  createTransformerPolicy,
  initBackend,
  loadTokenizer,
  loadTransformerPolicy,
} from '@oreal-ts/tensor-model';
import { createLocalSampler, createOpenAISampler, questionOnlyPrompt } from '@oreal-ts/sampler';
import { startServer, type RunningServer } from '../src/serve/index';
import { temporaryDirs } from './support/temporary-dirs';

const tempDir = temporaryDirs();

const characters =
  ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\n';
const problems: Problem[] = [
  { id: 'add', question: 'What is 2 + 3?', answer: '5' },
  { id: 'mul', question: 'Compute 6 * 7.', answer: '42' },
  { id: 'sub', question: '10 - 4 = ?', answer: '6' },
];
let dir: string;
let policy: Policy;
let tokenizer: Tokenizer;
let server: RunningServer;

beforeAll(async () => {
  await initBackend({ quiet: true });
  dir = await tempDir('oreal-serve-');
  const charTokenizer = createCharTokenizer({ characters, specialTokens: ['<eos>'] });
  const fresh = createTransformerPolicy(
    {
      vocab_size: charTokenizer.vocabSize,
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      max_position_embeddings: 96,
    },
    { seed: 3 },
  );
  await fresh.save(dir);
  await charTokenizer.save(dir);
  fresh.dispose();
  policy = await loadTransformerPolicy(dir);
  tokenizer = await loadTokenizer(dir);
  server = await startServer({ policy, tokenizer, modelName: 'tiny', port: 0 });
});

afterAll(async () => {
  await server?.close();
  policy?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const http = () =>
  createOpenAISampler({
    baseUrls: [server.url],
    model: 'tiny',
    mode: 'completions',
    prompt: questionOnlyPrompt,
    concurrencyPerUrl: 2,
    maxRetries: 2,
    timeoutMs: 60_000,
  });

describe('oreal serve with a real tiny checkpoint', () => {
  it('gives the HTTP sampler n = 4 completions per problem with log-probs, honouring stop strings', async () => {
    const stop = ['a', 'e', 'o', ' '];
    const groups = await http().sample(problems, {
      n: 4,
      temperature: 1,
      topP: 1,
      maxNewTokens: 24,
      stop,
      seed: 1,
    });
    expect(groups.map((g) => g.problem.id)).toEqual(problems.map((p) => p.id));
    let stoppedByString = 0;
    for (const group of groups) {
      expect(group.rollouts).toHaveLength(4);
      for (const rollout of group.rollouts) {
        // A stop string may only appear as the very end of the text (restored from stop_reason).
        const firstStop = Math.min(
          ...stop.map((s) => (rollout.text.includes(s) ? rollout.text.indexOf(s) : Infinity)),
        );
        if (firstStop !== Infinity) {
          expect(firstStop).toBe(rollout.text.length - 1);
          expect(rollout.finishReason).toBe('stop');
          stoppedByString++;
        }
        expect(rollout.logProbs.length).toBeGreaterThan(0);
        expect(rollout.logProbs.length).toBeLessThanOrEqual(24);
        for (const lp of rollout.logProbs) expect(lp).toBeLessThanOrEqual(0);
      }
    }
    expect(stoppedByString).toBeGreaterThan(0);
  });

  it('answers a bad body with 400 and a clear message', async () => {
    const response = await fetch(`${server.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny', prompt: 'hi', n: 'four' }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { message: string; param: string } };
    expect(body.error.message).toMatch(/n: .*number/);
    expect(body.error.param).toBe('n');
  });

  it('gives the same greedy rollouts through the local sampler and through the HTTP sampler', async () => {
    // Swapping samplers is a one-line change for the trainer: both implement core's Sampler.
    const options: SampleOptions = { n: 2, temperature: 0, topP: 1, maxNewTokens: 12, stop: ['.'] };
    const local = await createLocalSampler({ policy, tokenizer, prompt: questionOnlyPrompt }).sample(
      problems,
      options,
    );
    const remote = await createOpenAISampler({
      baseUrls: [server.url],
      model: 'tiny',
      mode: 'completions',
      prompt: questionOnlyPrompt,
      tokenIds: true,
    }).sample(problems, options);
    for (let i = 0; i < problems.length; i++) {
      for (let k = 0; k < 2; k++) {
        const a = local[i]!.rollouts[k]!;
        const b = remote[i]!.rollouts[k]!;
        expect(b.text).toBe(a.text);
        expect(b.tokenIds).toEqual(a.tokenIds); // via return_tokens_as_token_ids
        expect(b.finishReason).toBe(a.finishReason);
        expect(b.logProbs).toHaveLength(a.logProbs.length);
        b.logProbs.forEach((lp, t) => expect(lp).toBeCloseTo(a.logProbs[t]!, 4));
      }
    }
  });
});

describe('local sampler with the real model', () => {
  const options: SampleOptions = { n: 3, temperature: 1, topP: 0.9, topK: 20, maxNewTokens: 16, seed: 7 };

  it('is deterministic for a seed and varies with it', async () => {
    const sampler = createLocalSampler({ policy, tokenizer, prompt: questionOnlyPrompt, batchSize: 4 });
    const a = await sampler.sample(problems, options);
    const b = await sampler.sample(problems, options);
    const c = await sampler.sample(problems, { ...options, seed: 8 });
    expect(b).toEqual(a);
    expect(c.map((g) => g.rollouts.map((r) => r.text))).not.toEqual(
      a.map((g) => g.rollouts.map((r) => r.text)),
    );
  });

  it('reports log-probs equal to the policy’s own log π of the sampled responses', async () => {
    const sampler = createLocalSampler({ policy, tokenizer, prompt: questionOnlyPrompt });
    const [group] = await sampler.sample(problems.slice(0, 1), { ...options, temperature: 0.7 });
    const rollouts = group!.rollouts;
    const reference = await policy.logProbs({
      promptIds: rollouts.map((r) => r.promptTokenIds!),
      responseIds: rollouts.map((r) => r.tokenIds),
    });
    rollouts.forEach((r, i) => r.logProbs.forEach((lp, t) => expect(lp).toBeCloseTo(reference[i]![t]!, 3)));
  });

  it('does not leak tensors across repeated sample calls', async () => {
    const sampler = createLocalSampler({ policy, tokenizer, prompt: questionOnlyPrompt, batchSize: 4 });
    await sampler.sample(problems, options); // warm-up
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await sampler.sample(problems, { ...options, seed: i });
    expect(tf.memory().numTensors).toBe(before);
  });
});
