import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashString, type Problem, type Tokenizer } from '@oreal-ts/core';
import { createTinkerPolicy, createTinkerSampler, createTinkerServiceClient, type TinkerServiceClient } from '../src/index';
import { FakeTinkerServer } from './fake-server';

/** Five-letter tokenizer: 'a'..'e' ↔ 0..4; 'e' (4) is EOS. */
const tokenizer: Tokenizer = {
  specificationVersion: 'v1',
  id: 'test/abcde',
  vocabSize: 5,
  eosTokenId: 4,
  encode: (text) => Array.from(text, (c) => Math.max(0, Math.min(4, c.charCodeAt(0) - 97))),
  decode: (ids) => ids.map((id) => String.fromCharCode(97 + id)).join(''),
};
const problems: Problem[] = ['a', 'b', 'c', 'd'].map((q, i) => ({ id: `p${i}`, question: q, answer: '0' }));

let server: FakeTinkerServer;
let service: TinkerServiceClient;

beforeEach(async () => {
  server = await new FakeTinkerServer(5, 3).start();
  service = createTinkerServiceClient({ baseUrl: server.url, pollIntervalMs: 2, env: {}, timeoutMs: 5_000 });
});
afterEach(async () => {
  service.close();
  await server.stop();
});

const options = { n: 2, temperature: 1, topP: 0.9, maxNewTokens: 3, seed: 11 };

describe('createTinkerSampler', () => {
  it('one asample per problem with n samples; rollout fields like LocalSampler; results in problem order under concurrency', async () => {
    server.delay = (op, body) => (op === 'asample' ? 80 - 20 * ((body['prompt'] as { chunks: { tokens: number[] }[] }).chunks[0]?.tokens[0] ?? 0) : 0);
    const sampler = createTinkerSampler({ service, modelPath: () => 'tinker://model/sampler_weights/x', tokenizer, prompt: (p) => p.question, concurrency: 4 });
    const groups = await sampler.sample(problems, options);
    expect(server.ops('asample')).toHaveLength(4);
    expect(server.maxInFlight).toBeGreaterThan(1);
    expect(groups.map((g) => g.problem.id)).toEqual(['p0', 'p1', 'p2', 'p3']);
    const rollout = groups[1]?.rollouts[0];
    // fake engine: sample k continues prev → (prev + 1 + k) mod 5 from the prompt's last token
    expect(rollout).toMatchObject({ problemId: 'p1', sampleIndex: 0, prompt: 'b', promptTokenIds: [1], tokenIds: [2, 3, 4], text: 'cde', finishReason: 'length' });
    expect(rollout?.logProbs).toEqual([server.logProb(1, 2), server.logProb(2, 3), server.logProb(3, 4)].map((v) => expect.closeTo(v, 12)));
    expect(groups[1]?.rollouts[1]?.tokenIds).toEqual([3, 0, 2]);
    expect(server.ops('asample')[0]?.body['sampling_params']).toEqual({ max_tokens: 3, temperature: 1, top_p: 0.9, top_k: -1, stop: [4], seed: hashString('11/0') });
  });

  it('sends oreal_row_seed_key and the call seed only when the server advertises row-seeds', async () => {
    const sampler = createTinkerSampler({ service, modelPath: () => 'tinker://model/sampler_weights/x', tokenizer, prompt: (p) => p.question, concurrency: 1 });
    await sampler.sample(problems.slice(0, 2), options);
    expect(server.ops('asample').map((r) => r.body['oreal_row_seed_key'])).toEqual([undefined, undefined]);
    service.close();
    server.extensions = ['row-seeds'];
    service = createTinkerServiceClient({ baseUrl: server.url, pollIntervalMs: 2, env: {} });
    const seeded = createTinkerSampler({ service, modelPath: () => 'tinker://model/sampler_weights/x', tokenizer, prompt: (p) => p.question, concurrency: 1 });
    await seeded.sample(problems.slice(0, 2), { ...options, topK: 3, stop: ['cd'] });
    const rows = server.ops('asample').slice(2);
    expect(rows.map((r) => r.body['oreal_row_seed_key'])).toEqual(['0', '1']);
    expect(rows.map((r) => (r.body['sampling_params'] as { seed: number }).seed)).toEqual([11, 11]);
    expect(rows[0]?.body['sampling_params']).toMatchObject({ top_k: 3, stop: ['cd'] });
  });

  it("samples the policy's CURRENT sampler weights at call time", async () => {
    const training = await service.createLoraTrainingClient({ baseModel: 'tiny/bigram', rank: 1 });
    const policy = createTinkerPolicy({ training, vocabSize: 5, maxSequenceLength: 8, optimizer: { learningRate: 0.1 } });
    const sampler = createTinkerSampler({ service, policy, tokenizer, prompt: (p) => p.question });
    await sampler.sample(problems.slice(0, 1), options);
    await sampler.sample(problems.slice(0, 1), options);
    await policy.accumulateGradients({ promptIds: [[0]], responseIds: [[1]] }, (v) => ({ loss: -(v[0]?.[0] as number), gradient: [[-1]] }));
    await policy.applyGradients();
    await sampler.sample(problems.slice(0, 1), options);
    const paths = server.ops('create_sampling_session').map((r) => r.body['model_path']);
    expect(paths).toEqual([expect.stringMatching(/step-000000$/), expect.stringMatching(/step-000001$/)]);
  });

  it('many problems polling at once: all answered in order, no listener-leak warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    server.pendingPolls = 2;
    const many: Problem[] = Array.from({ length: 40 }, (_, i) => ({ id: `q${i}`, question: 'abcd'[i % 4] as string, answer: '0' }));
    service.close();
    service = createTinkerServiceClient({ baseUrl: server.url, pollIntervalMs: 40, env: {}, timeoutMs: 5_000 });
    const sampler = createTinkerSampler({ service, modelPath: () => 'tinker://x', tokenizer, prompt: (p) => p.question });
    const groups = await sampler.sample(many, { ...options, n: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(groups.map((g) => g.problem.id)).toEqual(many.map((p) => p.id));
    expect(warnings).toEqual([]);
  });

  it('refuses stop strings together with stop token ids (the wire takes one kind)', async () => {
    const sampler = createTinkerSampler({ service, modelPath: () => 'tinker://x', tokenizer, prompt: (p) => p.question });
    await expect(sampler.sample(problems, { ...options, stop: ['a'], stopTokenIds: [1] })).rejects.toThrow(/OR stop token ids/);
  });

  it('cuts the text after a matched stop string when the server stopped', async () => {
    server.resultOverride = (op, result) => (op === 'asample' ? { type: 'sample', sequences: [{ tokens: [2, 3, 0], logprobs: [-1, -1, -1], stop_reason: 'stop' }] } : result);
    const sampler = createTinkerSampler({ service, modelPath: () => 'tinker://x', tokenizer, prompt: (p) => p.question });
    const [group] = await sampler.sample(problems.slice(0, 1), { ...options, n: 1, stop: ['cd'] });
    expect(group?.rollouts[0]).toMatchObject({ text: 'cd', tokenIds: [2, 3, 0], finishReason: 'stop' });
  });
});
