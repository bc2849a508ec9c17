import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '@oreal-ts/core';
import { createTransformerPolicy, loadTransformerPolicy, readCheckpointTensors, writeCheckpointTensors, type TransformerConfigInput } from '../src/index';
import { assertWeightsFit, weightBytes, WASM_HEAP_LIMIT_BYTES } from '../src/checkpoint/memory-budget';
import { dimensionsOf, parseTransformerConfig } from '../src/config';
import { setupBackend } from './support';

const qwen2: TransformerConfigInput = {
  model_type: 'qwen2', vocab_size: 11, hidden_size: 12, intermediate_size: 20, num_hidden_layers: 2,
  num_attention_heads: 3, num_key_value_heads: 1, max_position_embeddings: 64, tie_word_embeddings: true,
};
// Qwen2.5-7B's shapes: 7.6 B parameters, ~28 GiB in float32.
const qwen7b = {
  model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'], vocab_size: 152064, hidden_size: 3584, intermediate_size: 18944, num_hidden_layers: 28,
  num_attention_heads: 28, num_key_value_heads: 4, max_position_embeddings: 32768, rope_theta: 1e6, rope_scaling: null, tie_word_embeddings: false,
};

let dir: string;
beforeAll(async () => {
  await setupBackend();
  dir = await mkdtemp(join(tmpdir(), 'tensor-model-limits-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('checkpoint limits', () => {
  it('refuses, before reading any weight, a checkpoint that cannot fit the wasm heap, naming its size and the limit', async () => {
    const where = join(dir, 'qwen7b');
    await mkdir(where, { recursive: true });
    await writeFile(join(where, 'config.json'), JSON.stringify(qwen7b)); // no weights at all: refusal must come first
    const d = dimensionsOf(parseTransformerConfig(qwen7b));
    expect(weightBytes(d).parameters).toBeGreaterThan(7.5e9);
    expect(() => assertWeightsFit(d, 'wasm', 'x')).toThrow(/7616 M parameters: 28\.37 GiB of float32 weights .* more than the wasm backend's 4\.00 GiB heap limit; refused before loading/);
    expect(() => assertWeightsFit(d, 'cpu', 'x')).not.toThrow();
    const error = await loadTransformerPolicy(where, { heapLimitBytes: WASM_HEAP_LIMIT_BYTES }).catch((e: unknown) => e);
    expect(CheckpointError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/config\.json.*28\.37 GiB.*4\.00 GiB heap limit/);
    if (tf.getBackend() === 'wasm') await expect(loadTransformerPolicy(where)).rejects.toThrow(/4\.00 GiB heap limit/);
  });

  it('a small model fits; a limit below its weights refuses it', async () => {
    const policy = createTransformerPolicy(qwen2, { seed: 1 });
    const where = join(dir, 'small');
    await policy.save(where);
    policy.dispose();
    const loaded = await loadTransformerPolicy(where);
    loaded.dispose();
    await expect(loadTransformerPolicy(where, { heapLimitBytes: 1000 })).rejects.toThrow(/heap limit; refused before loading/);
  });

  it('refuses Qwen2-style weights (q/k/v biases) under a Llama config, naming architectures and the directory', async () => {
    const policy = createTransformerPolicy(qwen2, { seed: 2 });
    const where = join(dir, 'mismatch');
    await policy.save(where);
    policy.dispose();
    await writeFile(join(where, 'config.json'), JSON.stringify({ ...qwen2, model_type: 'llama', architectures: ['LlamaForCausalLM'] }));
    const error = await loadTransformerPolicy(where).catch((e: unknown) => e);
    expect(CheckpointError.is(error)).toBe(true);
    expect((error as Error).message).toContain(where);
    expect((error as Error).message).toMatch(/architectures .*says the attention has no q\/k\/v biases, but the weights have 'model.layers.0.self_attn.q_proj.bias' \(Qwen2-style weights\)/);
    // And the other way round: a Qwen2 config over Llama-style weights (biases stripped).
    await writeFile(join(where, 'config.json'), JSON.stringify({ ...qwen2, architectures: ['Qwen2ForCausalLM'] }));
    const tensors = await readCheckpointTensors(where);
    for (const name of [...tensors.keys()]) if (name.endsWith('_proj.bias')) tensors.delete(name);
    await writeCheckpointTensors(where, tensors);
    await expect(loadTransformerPolicy(where)).rejects.toThrow(/says the attention has q\/k\/v biases, but the weights lack/);
  });

  it('loads rope_scaling {rope_type: default} as plain RoPE (same logits as without it)', async () => {
    const policy = createTransformerPolicy(qwen2, { seed: 3 });
    const where = join(dir, 'rope');
    await policy.save(where);
    await writeFile(join(where, 'config.json'), JSON.stringify({ ...qwen2, rope_scaling: { rope_type: 'default' } }));
    const loaded = await loadTransformerPolicy(where);
    const [a, b] = [await policy.logits([[1, 2, 3]]), await loaded.logits([[1, 2, 3]])];
    expect(Array.from(b[0]![2]!)).toEqual(Array.from(a[0]![2]!));
    loaded.dispose();
    policy.dispose();
    await writeFile(join(where, 'config.json'), JSON.stringify({ ...qwen2, rope_scaling: { rope_type: 'dynamic', factor: 2 } }));
    await expect(loadTransformerPolicy(where)).rejects.toThrow(/rope_scaling is not supported/);
  });

  it('a BF16 checkpoint (real Qwen2 key layout, sharded under the writer limit) loads and saves back byte-identical', async () => {
    const source = createTransformerPolicy(qwen2, { seed: 4 });
    const where = join(dir, 'bf16-src');
    await source.save(where);
    source.dispose();
    const tensors = await readCheckpointTensors(where);
    let seed = 7;
    for (const tensor of tensors.values()) for (let k = 0; k < tensor.data.length; k++) tensor.data[k] = ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.2;
    await writeCheckpointTensors(where, tensors, { dtype: 'BF16', maxShardBytes: 600 });
    const shards = (await readdir(where)).filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
    expect(shards.length).toBeGreaterThan(1);
    const index = JSON.parse(await readFile(join(where, 'model.safetensors.index.json'), 'utf8')) as { metadata: { total_size: number } };
    const elements = [...tensors.values()].reduce((n, t) => n + t.data.length, 0);
    expect(index.metadata.total_size).toBe(elements * 2);
    for (const shard of shards) {
      const header = JSON.parse(new TextDecoder().decode((await readFile(join(where, shard))).subarray(8, 8 + Number(new DataView((await readFile(join(where, shard))).buffer).getBigUint64(0, true))))) as Record<string, { dtype?: string; data_offsets?: number[] }>;
      const dataBytes = Math.max(...Object.values(header).map((e) => e.data_offsets?.[1] ?? 0));
      const single = Object.keys(header).filter((k) => k !== '__metadata__').length === 1;
      expect(single || dataBytes <= 600).toBe(true);
      expect(Object.values(header).every((e) => e.dtype === undefined || e.dtype === 'BF16')).toBe(true);
      expect((await stat(join(where, shard))).size).toBeGreaterThan(dataBytes);
    }
    const loaded = await loadTransformerPolicy(where);
    const back = join(dir, 'bf16-back');
    await loaded.save(back, { dtype: 'BF16', maxShardBytes: 600 });
    loaded.dispose();
    for (const shard of shards) expect(Buffer.compare(await readFile(join(back, shard)), await readFile(join(where, shard)))).toBe(0);
    expect(JSON.parse(await readFile(join(back, 'config.json'), 'utf8'))).toMatchObject({ torch_dtype: 'bfloat16', architectures: ['Qwen2ForCausalLM'] });
  });
});
