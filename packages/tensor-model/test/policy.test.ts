import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, InvalidArgumentError, type PerTokenLoss, type TokenBatch } from '@oreal-ts/core';
import { createTransformerPolicy, loadTransformerPolicy, readCheckpointTensors, writeCheckpointTensors, type TransformerConfigInput, type TransformerPolicy } from '../src/index';
import { dimensionsOf, parseTransformerConfig } from '../src/config';
import { huggingFaceParts, toHuggingFace } from '../src/checkpoint/hf-names';
import type { TrainableDecoder } from '../src/model/trainable-decoder';
import { decodeAgainstFullForward, maxAbsDifference, randomValues, setupBackend } from './support';
import { referenceLogits } from './reference-model';

const llama: TransformerConfigInput = {
  model_type: 'llama', vocab_size: 13, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64, rope_theta: 100,
};
const qwen2: TransformerConfigInput = {
  model_type: 'qwen2', vocab_size: 11, hidden_size: 12, intermediate_size: 20, num_hidden_layers: 2,
  num_attention_heads: 3, num_key_value_heads: 1, max_position_embeddings: 64, tie_word_embeddings: true, rms_norm_eps: 1e-5,
};

let dir: string;
beforeAll(async () => {
  await setupBackend();
  dir = await mkdtemp(join(tmpdir(), 'tensor-model-policy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Give every parameter (norms and biases included) random values so no term is trivially 1 or 0. */
function randomise(policy: TransformerPolicy, seed: number): void {
  const model = policy as unknown as TrainableDecoder;
  const host = model.hostParameters();
  let i = 0;
  for (const [name, tensor] of host) {
    const noise = randomValues(tensor.data.length, seed + i++, name.includes('norm') ? 0.3 : 0.5);
    host.set(name, { shape: tensor.shape, data: name.includes('norm') ? noise.map((v) => 1 + v) : noise });
  }
  model.setHostParameters(host);
}

function hfWeights(policy: TransformerPolicy) {
  const model = policy as unknown as TrainableDecoder;
  return toHuggingFace(huggingFaceParts(model.dimensions), model.hostParameters());
}

const sumLoss: PerTokenLoss = (values) => ({
  loss: -values.flat().reduce((a, b) => a + b, 0),
  gradient: values.map((row) => row.map(() => -1)),
});

/** Both decode-step attentions: the wasm kernel and TensorFlow.js ops. */
const decodeModes = ['kernel', 'tensors'] as const;

const batch: TokenBatch = { promptIds: [[1, 2, 3], [4], [5, 6]], responseIds: [[7, 8], [9, 10, 11], [12]] };

describe.each([
  ['llama (GQA, untied, no bias)', llama],
  ['qwen2 (MQA, tied, q/k/v bias)', qwen2],
])('TransformerPolicy %s', (_label, config) => {
  it('matches an independent float64 reference of the Hugging Face forward', async () => {
    const policy = createTransformerPolicy(config, { seed: 3 });
    randomise(policy, 100);
    const d = dimensionsOf(parseTransformerConfig(config));
    const weights = hfWeights(policy);
    const rows = [[1, 2, 3, 4, 5, 6], [7, 3]];
    const logits = await policy.logits(rows);
    rows.forEach((row, r) => {
      const expected = referenceLogits(weights, d, row);
      row.forEach((_, t) => expect(maxAbsDifference(logits[r]?.[t] as Float32Array, expected[t] as number[])).toBeLessThan(1e-4));
    });
    policy.dispose();
  });

  it.each(decodeModes)('decodes with the KV cache exactly as a full forward, with left padding (|Δ| < 1e-4; attention: %s)', async (decodeAttention) => {
    const policy = createTransformerPolicy(config, { seed: 4, decodeAttention });
    randomise(policy, 200);
    const { worst } = await decodeAgainstFullForward(policy, [[1, 2, 3, 4], [5], [6, 7]], [[8, 9, 10], [2, 3, 4], [1, 1, 1]]);
    expect(worst).toBeLessThan(1e-4);
    const session = await policy.startDecoding([[1]]);
    session.dispose();
    expect(() => session.dispose()).not.toThrow(); // disposing twice is harmless
    policy.dispose();
  });

  it.each(decodeModes.flatMap((mode) => [1, 2].map((rows) => [rows, mode] as const)))('decodes %i row(s) for 40 steps (past several cache growths) exactly as a full forward (attention: %s)', async (rows, decodeAttention) => {
    const policy = createTransformerPolicy(config, { seed: 6, decodeAttention });
    randomise(policy, 400);
    const prompts = [[1, 2, 3], [4]].slice(0, rows);
    const steps = 40; // tensors: > 2 × CAPACITY_CHUNK, grows twice; kernel: past prompt + 16 spare slots, grows once
    const generated = prompts.map((_, r) => Array.from({ length: steps }, (_, t) => (3 * t + 5 * r + 1) % 10));
    const { worst } = await decodeAgainstFullForward(policy, prompts, generated);
    expect(worst).toBeLessThan(1e-4);
    policy.dispose();
  });

  it.each(decodeModes)('prefills rows that share a prompt once and decodes each as a full forward (attention: %s)', async (decodeAttention) => {
    const policy = createTransformerPolicy(config, { seed: 8, decodeAttention });
    randomise(policy, 500);
    const prompts = [[1, 2, 3], [4], [1, 2, 3], [1, 2, 3], [4]]; // best-of-N: repeated prompts
    const generated = prompts.map((_, r) => [(r + 2) % 10, (2 * r + 1) % 10, 5]);
    const { incremental, worst } = await decodeAgainstFullForward(policy, prompts, generated);
    expect(Array.from(incremental[0]?.[2] as Float32Array)).toEqual(Array.from(incremental[0]?.[0] as Float32Array));
    expect(worst).toBeLessThan(1e-4);
    policy.dispose();
  });

  it('gives a left-padded batch the same log-probs as each row alone', async () => {
    const policy = createTransformerPolicy(config, { seed: 5 });
    randomise(policy, 300);
    const small = { promptIds: batch.promptIds.map((r) => r.map((id) => id % 11)), responseIds: batch.responseIds.map((r) => r.map((id) => id % 11)) };
    const together = await policy.logProbs(small);
    for (let r = 0; r < small.promptIds.length; r++) {
      const alone = await policy.logProbs({ promptIds: [small.promptIds[r] as number[]], responseIds: [small.responseIds[r] as number[]] });
      expect(together[r]).toHaveLength((small.responseIds[r] as number[]).length);
      expect(maxAbsDifference(together[r] as number[], alone[0] as number[])).toBeLessThan(1e-5);
      // and the reference agrees: ℓ_t = log softmax(logits at the previous position)[y_t]
      const d = dimensionsOf(parseTransformerConfig(config));
      const sequence = [...(small.promptIds[r] as number[]), ...(small.responseIds[r] as number[])];
      const expected = referenceLogits(hfWeights(policy), d, sequence);
      (small.responseIds[r] as number[]).forEach((y, t) => {
        const row = expected[(small.promptIds[r] as number[]).length - 1 + t] as number[];
        const top = Math.max(...row);
        const logZ = top + Math.log(row.reduce((a, v) => a + Math.exp(v - top), 0));
        expect(Math.abs((together[r]?.[t] as number) - ((row[y] as number) - logZ))).toBeLessThan(1e-4);
      });
    }
    policy.dispose();
  });
});

describe('TransformerPolicy training and checkpoints', () => {
  it('the same seed gives the same initial weights and the same loss curve; another seed differs', async () => {
    const run = async (seed: number) => {
      const policy = createTransformerPolicy(llama, { seed, training: { learningRate: 1e-2 } });
      const initial = hfWeights(policy);
      const losses: number[] = [];
      for (let step = 0; step < 4; step++) {
        losses.push((await policy.accumulateGradients(batch, sumLoss)).loss);
        await policy.applyGradients();
      }
      policy.dispose();
      return { initial, losses };
    };
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    for (const [name, tensor] of a.initial) expect(Array.from(tensor.data)).toEqual(Array.from(b.initial.get(name)?.data ?? []));
    expect(a.losses).toEqual(b.losses);
    expect(a.losses[3]).toBeLessThan(a.losses[0] as number);
    expect(maxAbsDifference(a.initial.get('model.embed_tokens.weight')?.data ?? [], c.initial.get('model.embed_tokens.weight')?.data ?? [])).toBeGreaterThan(0.01);
  });

  it('save → load gives identical logits, also sharded', async () => {
    const policy = createTransformerPolicy(qwen2, { seed: 6 });
    randomise(policy, 400);
    const rows = [[1, 2, 3], [4, 5]];
    const before = await policy.logits(rows);
    await policy.save(join(dir, 'single'));
    await policy.save(join(dir, 'sharded'), { maxShardBytes: 2000 });
    for (const where of ['single', 'sharded']) {
      const loaded = await loadTransformerPolicy(join(dir, where));
      const after = await loaded.logits(rows);
      before.forEach((row, r) => row.forEach((logits, t) => expect(Array.from(after[r]?.[t] ?? [])).toEqual(Array.from(logits))));
      loaded.dispose();
    }
    policy.dispose();
  });

  it('loads a Hugging Face-style BF16 checkpoint (tied, with a redundant lm_head and rotary buffers) written outside this package', async () => {
    const policy = createTransformerPolicy(qwen2, { seed: 13 });
    randomise(policy, 500);
    const weights = hfWeights(policy);
    // Round every weight to bfloat16 (truncate the low 16 bits) and write the file by hand.
    const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
    const chunks: Uint8Array[] = [];
    let offset = 0;
    const rounded = new Map<string, Float32Array>();
    const extra = new Map([...weights, ['lm_head.weight', weights.get('model.embed_tokens.weight')!], ['model.layers.0.self_attn.rotary_emb.inv_freq', { shape: [2], data: Float32Array.from([1, 0.1]) }]]);
    for (const [name, tensor] of extra) {
      const bits = new Uint32Array(tensor.data.buffer.slice(tensor.data.byteOffset, tensor.data.byteOffset + tensor.data.byteLength));
      const halves = Uint16Array.from(bits, (b) => b >>> 16);
      rounded.set(name, new Float32Array(Uint32Array.from(halves, (h) => h << 16).buffer));
      header[name] = { dtype: 'BF16', shape: tensor.shape, data_offsets: [offset, offset + halves.byteLength] };
      chunks.push(new Uint8Array(halves.buffer));
      offset += halves.byteLength;
    }
    const json = new TextEncoder().encode(JSON.stringify(header));
    const bytes = new Uint8Array(8 + json.length + offset);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
    bytes.set(json, 8);
    let position = 8 + json.length;
    for (const chunk of chunks) {
      bytes.set(chunk, position);
      position += chunk.length;
    }
    const where = join(dir, 'bf16');
    await mkdir(where, { recursive: true });
    await writeFile(join(where, 'model.safetensors'), bytes);
    await writeFile(join(where, 'config.json'), JSON.stringify({ ...qwen2, architectures: ['Qwen2ForCausalLM'], torch_dtype: 'bfloat16', rope_scaling: null, use_sliding_window: false, hidden_act: 'silu', bos_token_id: 1, eos_token_id: 2 }));
    const loaded = await loadTransformerPolicy(where);
    expect(loaded.step).toBe(0);
    const d = dimensionsOf(parseTransformerConfig(qwen2));
    const expected = referenceLogits(new Map([...rounded].map(([name, data]) => [name, { shape: extra.get(name)!.shape, data }])), d, [3, 1, 4]);
    const got = (await loaded.logits([[3, 1, 4]]))[0] as Float32Array[];
    got.forEach((row, t) => expect(maxAbsDifference(row, expected[t] as number[])).toBeLessThan(1e-4));
    loaded.dispose();
    policy.dispose();
  });

  it('rejects a checkpoint with missing, unexpected and mis-shaped tensors in one CheckpointError naming them', async () => {
    const policy = createTransformerPolicy(llama, { seed: 7 });
    const where = join(dir, 'broken');
    await policy.save(where);
    const tensors = await readCheckpointTensors(where);
    tensors.delete('model.layers.1.self_attn.k_proj.weight');
    tensors.set('model.layers.0.mlp.up_proj.weight', { shape: [3, 16], data: new Float32Array(48) });
    tensors.set('model.extra.weight', { shape: [1], data: new Float32Array(1) });
    await writeCheckpointTensors(where, tensors);
    const error = await loadTransformerPolicy(where).catch((e: unknown) => e);
    expect(CheckpointError.is(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('missing tensors: model.layers.1.self_attn.k_proj.weight');
    expect(message).toContain('model.layers.0.mlp.up_proj.weight has shape [3, 16], expected [24, 16]');
    expect(message).toContain('unexpected tensors: model.extra.weight');
    await expect(policy.load(where)).rejects.toThrow(/model.layers.1.self_attn.k_proj.weight/);
    policy.dispose();
  });

  it('resumes exactly: 3 steps + save/load + 2 steps (with pending accumulation) equals 5 steps straight', async () => {
    const training = { learningRate: 5e-3, warmupSteps: 2, totalSteps: 6, minLearningRateRatio: 0.1, gradClipNorm: 0.5 };
    const straight = createTransformerPolicy(llama, { seed: 8, training });
    const resumed = createTransformerPolicy(llama, { seed: 8, training });
    const step = async (policy: TransformerPolicy) => {
      await policy.accumulateGradients(batch, sumLoss);
      await policy.accumulateGradients({ promptIds: [[3]], responseIds: [[4, 5]] }, sumLoss);
      return policy.applyGradients();
    };
    const reports = [];
    for (let i = 0; i < 5; i++) reports.push(await step(straight));
    for (let i = 0; i < 3; i++) await step(resumed);
    await resumed.accumulateGradients(batch, sumLoss); // pending when saved
    await resumed.save(join(dir, 'resume'));
    resumed.dispose();
    const loaded = await loadTransformerPolicy(join(dir, 'resume'));
    expect(loaded.step).toBe(3);
    expect(loaded.trainingOptions).toMatchObject(training);
    await loaded.accumulateGradients({ promptIds: [[3]], responseIds: [[4, 5]] }, sumLoss);
    const fourth = await loaded.applyGradients();
    await step(loaded);
    expect(fourth).toEqual(reports[3]);
    const a = hfWeights(straight);
    const b = hfWeights(loaded as TransformerPolicy);
    for (const [name, tensor] of a) expect(maxAbsDifference(tensor.data, b.get(name)?.data ?? [])).toBe(0);
    expect(reports.some((r) => r.clipped)).toBe(true);
    expect(reports[0]?.learningRate).toBeCloseTo(2.5e-3, 10);
    straight.dispose();
    loaded.dispose();
  });

  it('clone copies weights independently with a fresh optimiser', async () => {
    const policy = createTransformerPolicy(llama, { seed: 9 });
    await policy.accumulateGradients(batch, sumLoss);
    await policy.applyGradients();
    const copy = policy.clone({ id: 'copy', training: { learningRate: 0.05 } });
    expect(copy.id).toBe('copy');
    expect(copy.step).toBe(0);
    expect(copy.trainingOptions.learningRate).toBe(0.05);
    const before = await policy.logProbs(batch);
    expect(await copy.logProbs(batch)).toEqual(before);
    await copy.accumulateGradients(batch, sumLoss);
    await copy.applyGradients();
    expect(await policy.logProbs(batch)).toEqual(before);
    expect(await copy.logProbs(batch)).not.toEqual(before);
    copy.dispose();
    policy.dispose();
  });

  it('refuses non-finite gradients without touching the weights, and rejects bad inputs', async () => {
    const policy = createTransformerPolicy(llama, { seed: 10 });
    const before = await policy.logProbs(batch);
    await policy.accumulateGradients(batch, (values) => ({ loss: NaN, gradient: values.map((row) => row.map(() => NaN)) }));
    await expect(policy.applyGradients()).rejects.toThrow(/gradient norm is NaN/);
    expect(await policy.logProbs(batch)).toEqual(before);
    expect(policy.step).toBe(0);
    await expect(policy.logProbs({ promptIds: [[]], responseIds: [[1]] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(policy.logProbs({ promptIds: [[1]], responseIds: [[99]] })).rejects.toThrow(/not an integer in \[0, 13\)/);
    await expect(policy.accumulateGradients(batch, (values) => ({ loss: 0, gradient: values.slice(1) }))).rejects.toThrow(/expected 3/);
    policy.clearGradients();
    expect(await policy.logProbs({ promptIds: [[1], [2]], responseIds: [[], [3]] })).toHaveLength(2);
    policy.dispose();
  });

  it('micro-batching gives the same update as the whole batch', async () => {
    const whole = createTransformerPolicy(llama, { seed: 12 });
    const micro = createTransformerPolicy(llama, { seed: 12, microBatchSize: 2 });
    await whole.accumulateGradients(batch, sumLoss);
    await micro.accumulateGradients(batch, sumLoss);
    const a = await whole.applyGradients();
    const b = await micro.applyGradients();
    expect(Math.abs(a.gradNorm - b.gradNorm)).toBeLessThan(1e-4);
    const wa = hfWeights(whole);
    const wb = hfWeights(micro);
    for (const [name, tensor] of wa) expect(maxAbsDifference(tensor.data, wb.get(name)?.data ?? [])).toBeLessThan(1e-5);
    whole.dispose();
    micro.dispose();
  });
});
