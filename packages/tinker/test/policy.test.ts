import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scheduledLearningRate, type PerTokenValues } from '@oreal-ts/core';
import { createTinkerPolicy, createTinkerServiceClient, type TinkerPolicy, type TinkerServiceClient } from '../src/index';
import { FakeTinkerServer } from './fake-server';

let server: FakeTinkerServer;
let service: TinkerServiceClient;
let dir: string;

const optimizer = { learningRate: 0.5, warmupSteps: 2, totalSteps: 10, minLearningRateRatio: 0.1 };

async function makePolicy(): Promise<TinkerPolicy> {
  const training = await service.createLoraTrainingClient({ baseModel: 'tiny/bigram', rank: 1 });
  return createTinkerPolicy({ training, vocabSize: server.vocab, maxSequenceLength: 16, optimizer, id: 'test-policy' });
}

beforeEach(async () => {
  server = await new FakeTinkerServer(5, 7).start();
  service = createTinkerServiceClient({ baseUrl: server.url, pollIntervalMs: 2, env: {}, timeoutMs: 5_000 });
  dir = await mkdtemp(join(tmpdir(), 'tinker-policy-'));
});
afterEach(async () => {
  service.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

const batch = { promptIds: [[0, 1], [3]], responseIds: [[2, 3, 4], [1, 0]] };

/** A non-linear loss of the per-token log-probs: L = Σ c·ℓ + ½ Σ ℓ². */
const coefficients = [[0.5, -1, 2], [1.5, -0.25]];
function lossOf(values: PerTokenValues) {
  let loss = 0;
  const gradient = values.map((row, r) =>
    row.map((l, t) => {
      const c = coefficients[r]?.[t] as number;
      loss += c * l + 0.5 * l * l;
      return c + l;
    }),
  );
  return { loss, gradient };
}

describe('createTinkerPolicy', () => {
  it('logProbs reads the forward output at the response positions (documented shift)', async () => {
    const policy = await makePolicy();
    const values = await policy.logProbs(batch);
    expect(values[0]).toEqual([server.logProb(1, 2), server.logProb(2, 3), server.logProb(3, 4)].map((v) => expect.closeTo(v, 12)));
    expect(values[1]).toEqual([server.logProb(3, 1), server.logProb(1, 0)].map((v) => expect.closeTo(v, 12)));
    const forward = server.ops('forward')[0]?.body['forward_input'] as { loss_fn: string; data: { loss_fn_inputs: { weights: { data: number[] } } }[] };
    expect(forward.loss_fn).toBe('cross_entropy');
    expect(forward.data.map((d) => d.loss_fn_inputs.weights.data)).toEqual([[0, 0, 0, 0], [0, 0]]);
  });

  it('sends ONE forward_backward with weights −∂loss/∂ℓ on response positions and 0 on prompt positions', async () => {
    const policy = await makePolicy();
    const result = await policy.accumulateGradients(batch, lossOf);
    const calls = server.ops('forward_backward');
    expect(calls).toHaveLength(1);
    const input = calls[0]?.body['forward_backward_input'] as {
      loss_fn: string;
      data: { model_input: { chunks: { tokens: number[] }[] }; loss_fn_inputs: Record<string, { data: number[]; dtype: string }> }[];
    };
    expect(input.loss_fn).toBe('cross_entropy');
    const [first, second] = input.data;
    expect(first?.model_input.chunks[0]?.tokens).toEqual([0, 1, 2, 3]);
    expect(first?.loss_fn_inputs['target_tokens']).toMatchObject({ data: [1, 2, 3, 4], dtype: 'int64' });
    const g0 = result.gradient[0] as number[];
    expect(first?.loss_fn_inputs['weights']?.data).toEqual([0, -(g0[0] as number), -(g0[1] as number), -(g0[2] as number)]);
    const g1 = result.gradient[1] as number[];
    expect(second?.model_input.chunks[0]?.tokens).toEqual([3, 1]);
    expect(second?.loss_fn_inputs['weights']?.data).toEqual([-(g1[0] as number), -(g1[1] as number)]);
  });

  it("the engine's accumulated gradient equals the finite-difference gradient of loss(ℓ(W))", async () => {
    const policy = await makePolicy();
    await policy.accumulateGradients(batch, lossOf);
    const objective = (w: number[][]) => {
      const values = batch.responseIds.map((response, r) => {
        const full = [...(batch.promptIds[r] as number[]), ...response];
        return response.map((_, t) => server.logProb(full[full.length - response.length - 1 + t] as number, response[t] as number, w));
      });
      return lossOf(values).loss;
    };
    const h = 1e-5;
    for (let i = 0; i < server.vocab; i++) {
      for (let j = 0; j < server.vocab; j++) {
        const plus = server.weights.map((row) => [...row]);
        const minus = server.weights.map((row) => [...row]);
        (plus[i] as number[])[j] = (plus[i]?.[j] as number) + h;
        (minus[i] as number[])[j] = (minus[i]?.[j] as number) - h;
        const numeric = (objective(plus) - objective(minus)) / (2 * h);
        expect(server.gradient[i]?.[j]).toBeCloseTo(numeric, 6);
      }
    }
  });

  it('applyGradients steps at the scheduled learning rate, then saves sampler weights (on-policy)', async () => {
    const policy = await makePolicy();
    const first = await policy.samplerPath();
    expect(first).toMatch(/step-000000$/);
    const reports = [];
    for (let s = 0; s < 3; s++) {
      await policy.accumulateGradients(batch, lossOf);
      reports.push(await policy.applyGradients());
    }
    const rates = server.ops('optim_step').map((r) => (r.body['adam_params'] as { learning_rate: number }).learning_rate);
    expect(rates).toEqual([0, 1, 2].map((s) => scheduledLearningRate(optimizer, s)));
    expect(reports.map((r) => r.step)).toEqual([1, 2, 3]);
    expect(reports.every((r) => Number.isFinite(r.gradNorm) && r.gradNorm > 0 && !r.clipped)).toBe(true);
    const order = server.requests.filter((r) => r.op === 'optim_step' || r.op === 'save_weights_for_sampler').map((r) => r.op);
    expect(order).toEqual(['save_weights_for_sampler', 'optim_step', 'save_weights_for_sampler', 'optim_step', 'save_weights_for_sampler', 'optim_step', 'save_weights_for_sampler']);
    expect(policy.currentSamplerPath()).toMatch(/test-policy-step-000003$/);
  });

  it('reports gradNorm NaN when the engine does not report grad_norm', async () => {
    const policy = await makePolicy();
    server.resultOverride = (op, result) => (op === 'optim_step' ? { metrics: {} } : result);
    const report = await policy.applyGradients();
    expect(report.gradNorm).toBeNaN();
    expect(report.clipped).toBe(false);
  });

  it('clearGradients refuses to pretend pending remote gradients were dropped; no-op otherwise', async () => {
    const policy = await makePolicy();
    expect(() => policy.clearGradients()).not.toThrow();
    await policy.accumulateGradients(batch, lossOf);
    expect(() => policy.clearGradients()).toThrow(/cannot be dropped/);
    await policy.applyGradients();
    expect(() => policy.clearGradients()).not.toThrow();
  });

  it('never sends a non-finite gradient and refuses the next step until cleared', async () => {
    const policy = await makePolicy();
    const result = await policy.accumulateGradients(batch, (values) => ({ loss: Number.NaN, gradient: values.map((row) => row.map(() => Number.NaN)) }));
    expect(result.loss).toBeNaN();
    expect(server.ops('forward_backward')).toHaveLength(0);
    await expect(policy.applyGradients()).rejects.toThrow(/non-finite/);
    policy.clearGradients();
    await expect(policy.applyGradients()).resolves.toMatchObject({ step: 1 });
    // a non-finite loss with a finite gradient is not sent either, so the trainer's divergence path can clear
    await policy.accumulateGradients(batch, (values) => ({ loss: Number.POSITIVE_INFINITY, gradient: values.map((row) => row.map(() => 1)) }));
    expect(server.ops('forward_backward')).toHaveLength(0);
    expect(() => policy.clearGradients()).not.toThrow();
  });

  it('save writes tinker-state.json; load restores step, sampler path and optimizer state', async () => {
    const policy = await makePolicy();
    await policy.accumulateGradients(batch, lossOf);
    await policy.applyGradients();
    await policy.save(dir);
    const state = JSON.parse(await readFile(join(dir, 'tinker-state.json'), 'utf8')) as Record<string, unknown>;
    expect(state).toEqual({ path: 'tinker://model/weights/test-policy-state-000001', step: 1, samplerPath: policy.currentSamplerPath(), baseModel: 'tiny/bigram' });
    const restored = await makePolicy();
    await restored.load(dir);
    expect(restored.step).toBe(1);
    expect(restored.currentSamplerPath()).toBe(policy.currentSamplerPath());
    expect(server.ops('load_weights')[0]?.body).toMatchObject({ path: state['path'], optimizer: true });
    await writeFile(join(dir, 'tinker-state.json'), JSON.stringify({ ...state, step: -1 }));
    await expect(restored.load(dir)).rejects.toThrow(/tinker-state\.json.*field 'step'/);
  });

  it('startDecoding rejects with a pointer to the Tinker sampler; rows are checked', async () => {
    const policy = await makePolicy();
    await expect(policy.startDecoding([[1]])).rejects.toThrow(/createTinkerSampler/);
    await expect(policy.logProbs({ promptIds: [[1]], responseIds: [[9]] })).rejects.toThrow(/outside the vocabulary/);
  });

  it('a training loop leaves no timers behind and keeps seq_ids strictly increasing', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const policy = await makePolicy();
    for (let s = 0; s < 10; s++) {
      await policy.accumulateGradients(batch, lossOf);
      await policy.applyGradients();
    }
    const seqIds = server.requests.filter((r) => r.body['seq_id'] !== undefined && r.body['model_id'] !== undefined).map((r) => r.body['seq_id'] as number);
    expect(seqIds).toEqual(seqIds.map((_, i) => i + 1));
    service.close();
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(before);
  });
});

describe('createTinkerPolicy against the in-process reference', () => {
  it("matches core's TabularPolicy step for step when the engine is the same model (context-free softmax, SGD)", async () => {
    const { createTabularPolicy } = await import('@oreal-ts/core/testing');
    const engine = await new FakeTinkerServer(5, 11, true).start();
    const remoteService = createTinkerServiceClient({ baseUrl: engine.url, pollIntervalMs: 2, env: {} });
    try {
      const training = await remoteService.createLoraTrainingClient({ baseModel: 'tiny/unigram', rank: 1 });
      const remote = createTinkerPolicy({ training, vocabSize: 5, maxSequenceLength: 16, optimizer: { learningRate: 0.3 } });
      const local = createTabularPolicy({ vocabSize: 5, learningRate: 0.3, initialLogits: engine.weights[0] as number[] });
      const rows = { promptIds: [[0, 1], [2], [4, 4]], responseIds: [[2, 3], [1, 1, 0], [4]] };
      for (let s = 0; s < 5; s++) {
        const a = await remote.accumulateGradients(rows, lossOf3);
        const b = await local.accumulateGradients(rows, lossOf3);
        expect(a.loss).toBeCloseTo(b.loss, 10);
        const ra = await remote.applyGradients();
        const rb = await local.applyGradients();
        expect(ra.gradNorm).toBeCloseTo(rb.gradNorm, 10);
      }
      (engine.weights[0] as number[]).forEach((w, k) => expect(w).toBeCloseTo(local.logits()[k] as number, 10));
      expect(await remote.logProbs(rows)).toEqual((await local.logProbs(rows)).map((row) => row.map((v) => expect.closeTo(v, 10))));
    } finally {
      remoteService.close();
      await engine.stop();
    }
  });
});

/** Non-linear loss for rows of lengths 2, 3, 1: L = Σ c·ℓ + ½ Σ ℓ². */
function lossOf3(values: PerTokenValues) {
  const c = [[1, -0.5], [0.25, 2, -1], [0.75]];
  let loss = 0;
  const gradient = values.map((row, r) =>
    row.map((l, t) => {
      const k = c[r]?.[t] as number;
      loss += k * l + 0.5 * l * l;
      return k + l;
    }),
  );
  return { loss, gradient };
}
