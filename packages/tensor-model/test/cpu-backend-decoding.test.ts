// Decoding on the pure-JS cpu backend, where `auto` also picks the wasm attention kernel (the q|k|v
// values are read with dataSync, and the kernel's output is copied into a new tensor).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTransformerPolicy, initBackend } from '../src/index';
import { decodeAgainstFullForward } from './support';

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
    expect((warm as unknown as { attention: string }).attention).toBe(decodeAttention === 'auto' ? 'kernel' : 'tensors');
    const before = tf.memory().numTensors;
    const { worst } = await decodeAgainstFullForward(policy, prompts, generated);
    expect(tf.memory().numTensors).toBe(before);
    expect(worst).toBeLessThan(1e-4);
    policy.dispose();
  });
});
