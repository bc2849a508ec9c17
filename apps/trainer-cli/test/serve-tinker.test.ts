// The local Tinker server over real HTTP on 127.0.0.1 with a tiny random checkpoint: a training
// step equals the in-process step bit for bit, row seeds reproduce the LocalSampler, errors and memory.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Problem, Tokenizer } from '@oreal-ts/core';
import {
  createCharTokenizer,
  createTransformerPolicy,
  initBackend,
  loadTokenizer,
  loadTransformerPolicy,
  type TransformerPolicy,
} from '@oreal-ts/tensor-model';
import { createLocalSampler, encodePrompt, plainPrompt, renderPrompt } from '@oreal-ts/sampler';
import { startTinkerServer, type RunningTinkerServer } from '../src/serve-tinker/index';
import { temporaryDirs } from './support/temporary-dirs';

const tempDir = temporaryDirs();
const characters =
  ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\n';
const problems: Problem[] = [
  { id: 'add', question: 'What is 2 + 3?', answer: '5' },
  { id: 'mul', question: 'Compute 6 * 7.', answer: '42' },
];
let dir: string;
let policy: TransformerPolicy;
let tokenizer: Tokenizer;
let server: RunningTinkerServer;
const logs: string[] = [];

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
async function call(op: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(
    `${server.url}/api/v1/${op}`,
    body === undefined
      ? {}
      : {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': 'secret-key' },
          body: JSON.stringify(body),
        },
  );
  return { status: response.status, body: (await response.json()) as Json };
}
async function result(op: string, body: unknown): Promise<Json> {
  const submitted = await call(op, body);
  expect(submitted.status).toBe(200);
  for (;;) {
    const answer = await call('retrieve_future', { request_id: submitted.body.request_id });
    if (answer.status === 200) return answer.body;
    expect(answer.status).toBe(408);
  }
}
const datum = (full: number[], weights: number[]) => ({
  model_input: { chunks: [{ type: 'encoded_text', tokens: full.slice(0, -1) }] },
  loss_fn_inputs: {
    target_tokens: { data: full.slice(1), dtype: 'int64' },
    weights: { data: weights, dtype: 'float32' },
  },
});

beforeAll(async () => {
  await initBackend({ quiet: true });
  dir = await tempDir('oreal-tinker-');
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
    { seed: 5 },
  );
  await fresh.save(dir);
  await chars.save(dir);
  fresh.dispose();
  policy = await loadTransformerPolicy(dir);
  tokenizer = await loadTokenizer(dir);
  server = await startTinkerServer({
    policy,
    tokenizer,
    baseModel: 'tiny',
    port: 0,
    longPollMs: 0,
    logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
  });
});
afterAll(async () => {
  await server.close();
  policy.dispose();
});

async function newModel(): Promise<string> {
  const session = await call('create_session', { tags: [], sdk_version: 'test' });
  const created = await result('create_model', {
    session_id: session.body.session_id,
    model_seq_id: 0,
    base_model: 'tiny',
    lora_config: { rank: 8 },
  });
  return created.model_id as string;
}

describe('oreal serve --tinker', () => {
  it('advertises the base model and the row-seeds extension', async () => {
    const { status, body } = await call('get_server_capabilities');
    expect(status).toBe(200);
    expect(body).toEqual({
      supported_models: [{ model_name: 'tiny' }],
      oreal_extensions: ['row-seeds', 'prompt-split'],
    });
  });

  it('forward_backward + optim_step change the weights exactly as in-process accumulateGradients + applyGradients', async () => {
    const modelId = await newModel();
    const full = [3, 17, 40, 22, 9, 61];
    const weights = [0, 0.5, -1.25, 2, 0.75];
    const fb = await result('forward_backward', {
      model_id: modelId,
      seq_id: 1,
      forward_backward_input: { data: [datum(full, weights)], loss_fn: 'cross_entropy' },
    });
    const step = await result('optim_step', {
      model_id: modelId,
      seq_id: 2,
      adam_params: {
        learning_rate: 0.01,
        beta1: 0.9,
        beta2: 0.95,
        eps: 1e-8,
        weight_decay: 0,
        grad_clip_norm: 0,
      },
    });
    const after = await result('forward', {
      model_id: modelId,
      seq_id: 3,
      forward_input: { data: [datum(full, weights)], loss_fn: 'cross_entropy' },
    });

    const local = policy.clone();
    const batch = { promptIds: [[full[0] as number]], responseIds: [full.slice(1)] };
    const before = await local.logProbs(batch);
    expect(fb.loss_fn_outputs[0].logprobs.data).toEqual(before[0]);
    const loss = await local.accumulateGradients(batch, (values) => ({
      loss: values[0]!.reduce((s, l, t) => s - weights[t]! * l, 0),
      gradient: [weights.map((w) => -w)],
    }));
    expect(fb.metrics['loss:sum']).toBe(loss.loss);
    local.setTrainingOptions({
      learningRate: 0.01,
      warmupSteps: 0,
      totalSteps: 0,
      beta1: 0.9,
      beta2: 0.95,
      epsilon: 1e-8,
      weightDecay: 0,
      gradClipNorm: 0,
    });
    const report = await local.applyGradients();
    expect(step.metrics).toEqual({ grad_norm: report.gradNorm, clipped: 0, step: 1, learning_rate: 0.01 });
    const expected = await local.logProbs(batch);
    local.dispose();
    expect(after.loss_fn_outputs[0].logprobs.data).toEqual(expected[0]);
    expect(after.loss_fn_outputs[0].logprobs.data).not.toEqual(before[0]);
  });

  it('reproduces the in-process LocalSampler bit for bit with one request per problem (row seeds)', async () => {
    const settings = { n: 3, maxNewTokens: 24, temperature: 1, topP: 0.95, seed: 11, stop: ['}'] };
    const groups = await createLocalSampler({ policy, tokenizer }).sample(problems, settings);
    for (const [i, problem] of problems.entries()) {
      const tokens = encodePrompt(tokenizer, renderPrompt(plainPrompt, problem, tokenizer));
      const sampled = await result('asample', {
        num_samples: 3,
        prompt: { chunks: [{ type: 'encoded_text', tokens }] },
        sampling_params: { max_tokens: 24, temperature: 1, top_p: 0.95, top_k: -1, seed: 11, stop: ['}'] },
        base_model: 'tiny',
        oreal_row_seed_key: String(i),
      });
      const rollouts = groups[i]!.rollouts;
      expect(sampled.sequences.map((s: Json) => s.tokens)).toEqual(rollouts.map((r) => r.tokenIds));
      expect(sampled.sequences.map((s: Json) => s.logprobs)).toEqual(rollouts.map((r) => r.logProbs));
      expect(sampled.sequences.map((s: Json) => s.stop_reason)).toEqual(rollouts.map((r) => r.finishReason));
    }
  });

  it('answers 408 try_again while a future is pending, then its result', async () => {
    // queued behind a save_weights on the same model, whose file writes let the event loop answer the poll
    const modelId = await newModel();
    await call('save_weights', { model_id: modelId, seq_id: 0, path: 'slow' });
    const snapshot = await call('save_weights_for_sampler', { model_id: modelId, seq_id: 1, path: 'now' });
    expect(snapshot.status).toBe(200);
    const submitted = await call('forward', {
      model_id: modelId,
      seq_id: 2,
      forward_input: { data: [datum([1, 2, 3], [1, 1])], loss_fn: 'cross_entropy' },
    });
    const pending = await call('retrieve_future', { request_id: submitted.body.request_id });
    expect(pending).toEqual({
      status: 408,
      body: { type: 'try_again', request_id: submitted.body.request_id },
    });
    let answer = pending;
    while (answer.status === 408)
      answer = await call('retrieve_future', { request_id: submitted.body.request_id });
    expect(answer.status).toBe(200);
    expect(answer.body.loss_fn_outputs).toHaveLength(1);
  });

  it('answers 400 naming the field, 404 for unknown ids, and a failed future for a failing op (the server stays up)', async () => {
    const bad = await call('optim_step', {
      model_id: 'x',
      seq_id: 0,
      adam_params: { learning_rate: 'fast' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('adam_params.learning_rate');
    const unknown = await call('forward', {
      model_id: 'nope',
      seq_id: 0,
      forward_input: { data: [], loss_fn: 'cross_entropy' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toContain("unknown model_id 'nope'");
    const modelId = await newModel();
    const failed = await result('forward', {
      model_id: modelId,
      seq_id: 0,
      forward_input: { data: [datum([1, 2, 3], [1])], loss_fn: 'cross_entropy' },
    });
    expect(failed.type).toBe('RequestFailedResponse');
    expect(failed.error).toContain('weights has 1 values');
    expect((await call('get_server_capabilities')).status).toBe(200);
    expect(logs.some((line) => line.includes('secret-key'))).toBe(false);
  });

  it('save_weights / load_weights round-trips the weights', async () => {
    const modelId = await newModel();
    const full = [5, 6, 7, 8];
    const input = { data: [datum(full, [1, 1, 1])], loss_fn: 'cross_entropy' };
    const saved = await result('save_weights', { model_id: modelId, seq_id: 0, path: 'start' });
    expect(saved.path).toBe(`tinker://${modelId}/weights/start`);
    const start = await result('forward', { model_id: modelId, seq_id: 1, forward_input: input });
    await result('forward_backward', { model_id: modelId, seq_id: 2, forward_backward_input: input });
    await result('optim_step', { model_id: modelId, seq_id: 3, adam_params: { learning_rate: 0.05 } });
    const moved = await result('forward', { model_id: modelId, seq_id: 4, forward_input: input });
    expect(moved.loss_fn_outputs[0].logprobs.data).not.toEqual(start.loss_fn_outputs[0].logprobs.data);
    expect(
      await result('load_weights', { model_id: modelId, seq_id: 5, path: saved.path, optimizer: false }),
    ).toEqual({ path: saved.path });
    const back = await result('forward', { model_id: modelId, seq_id: 6, forward_input: input });
    expect(back.loss_fn_outputs[0].logprobs.data).toEqual(start.loss_fn_outputs[0].logprobs.data);
  });

  it('keeps the tensor count stable over training and sampling cycles', async () => {
    const modelId = await newModel();
    const input = { data: [datum([4, 9, 12, 30, 2], [1, -1, 0.5, 1])], loss_fn: 'cross_entropy' };
    const cycle = async (k: number) => {
      await result('forward_backward', { model_id: modelId, seq_id: 3 * k, forward_backward_input: input });
      await result('optim_step', {
        model_id: modelId,
        seq_id: 3 * k + 1,
        adam_params: { learning_rate: 0.01 },
      });
      const saved = await result('save_weights_for_sampler', {
        model_id: modelId,
        seq_id: 3 * k + 2,
        path: 'latest',
      });
      await result('asample', {
        num_samples: 2,
        prompt: { chunks: [{ tokens: [1, 2] }] },
        sampling_params: { max_tokens: 6, seed: k },
        model_path: saved.path,
      });
    };
    await cycle(0);
    const baseline = tf.memory().numTensors;
    for (let k = 1; k <= 4; k++) await cycle(k);
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
