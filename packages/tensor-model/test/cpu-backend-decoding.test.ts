// Decoding on the pure-JS cpu backend, where `auto` also picks the wasm attention kernel (the q|k|v
// values are read with dataSync, and the kernel's output is copied into a new tensor).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTransformerPolicy, initBackend } from '../src/index';
import { maxAbsDifference } from './support';

const config = {
  model_type: 'qwen2', vocab_size: 11, hidden_size: 16, intermediate_size: 20, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 32,
} as const;

beforeAll(async () => {
  await initBackend({ preferred: 'cpu', quiet: true });
});

describe('decoding on the cpu backend', () => {
  it.each(['auto', 'tensors'] as const)('equals the full forward with left padding and shared prompts (attention: %s)', async (decodeAttention) => {
    expect(tf.getBackend()).toBe('cpu');
    const policy = createTransformerPolicy(config, { seed: 2, decodeAttention });
    const prompts = [[1, 2, 3], [4], [1, 2, 3]];
    const generated = [[5, 6, 7, 8], [9, 1, 2, 3], [4, 4, 5, 6]];
    const warm = await policy.startDecoding(prompts); // builds the fused decode weights, kept until the next update
    await warm.prefill();
    await warm.step([1, 1, 1]);
    warm.dispose();
    const before = tf.memory().numTensors;
    const session = await policy.startDecoding(prompts);
    expect((session as unknown as { attention: string }).attention).toBe(decodeAttention === 'auto' ? 'kernel' : 'tensors');
    const incremental = [await session.prefill()];
    for (let step = 0; step < 4; step++) incremental.push(await session.step(generated.map((row) => row[step] as number)));
    session.dispose();
    expect(tf.memory().numTensors).toBe(before);
    for (let r = 0; r < prompts.length; r++) {
      const full = (await policy.logits([[...(prompts[r] as number[]), ...(generated[r] as number[])]]))[0] as Float32Array[];
      const offset = (prompts[r] as number[]).length - 1;
      for (let step = 0; step <= 4; step++) {
        expect(maxAbsDifference(incremental[step]?.[r] as Float32Array, full[offset + step] as Float32Array)).toBeLessThan(1e-4);
      }
    }
    policy.dispose();
  });
});
