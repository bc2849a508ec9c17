import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@oreal-ts/core';
import { dimensionsOf, parseTransformerConfig } from '../config';
import { setupBackend } from '../../test/support';
import { DECODE_ATTENTION_ENV, resolveDecodeAttention } from './kernel-attention';
import { sharedPrompts } from '../decoding-session';

const dims = (hidden: number, heads: number) =>
  dimensionsOf(parseTransformerConfig({ model_type: 'llama', vocab_size: 8, hidden_size: hidden, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: heads, max_position_embeddings: 16 }));

beforeAll(setupBackend);
afterEach(() => {
  delete process.env[DECODE_ATTENTION_ENV];
});

describe('resolveDecodeAttention', () => {
  it('auto: the kernel on the wasm backend when the head dimension allows it, tensor ops otherwise', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(resolveDecodeAttention(dims(16, 4))).toBe('kernel'); // D = 4
    expect(resolveDecodeAttention(dims(12, 2))).toBe('tensors'); // D = 6
    expect(resolveDecodeAttention(dims(16, 4), 'tensors')).toBe('tensors');
  });

  it('takes the environment variable where no option is given, and names it when it is wrong', () => {
    process.env[DECODE_ATTENTION_ENV] = 'tensors';
    expect(resolveDecodeAttention(dims(16, 4))).toBe('tensors');
    expect(resolveDecodeAttention(dims(16, 4), 'kernel')).toBe('kernel');
    process.env[DECODE_ATTENTION_ENV] = 'fast';
    expect(() => resolveDecodeAttention(dims(16, 4))).toThrow(InvalidArgumentError);
    expect(() => resolveDecodeAttention(dims(16, 4))).toThrow(/OREAL_DECODE_ATTENTION.*"fast".*auto, kernel, tensors/);
  });

  it('refuses the kernel for a head dimension it cannot take', () => {
    expect(() => resolveDecodeAttention(dims(12, 2), 'kernel')).toThrow(/divisible by 4 \(got 6\)/);
  });
});

describe('sharedPrompts', () => {
  it('maps repeated prompts to one row each, in first-seen order, and is undefined when all differ', () => {
    const shared = sharedPrompts([[1, 2], [3], [1, 2], [3], [1, 2, 0]]);
    expect(shared?.prompts).toEqual([[1, 2], [3], [1, 2, 0]]);
    expect(Array.from(shared?.rowOf ?? [])).toEqual([0, 1, 0, 1, 2]);
    expect(sharedPrompts([[1], [2], [1, 2]])).toBeUndefined();
    expect(sharedPrompts([[1, 12], [11, 2]])).toBeUndefined(); // "1,12" vs "11,2": the key separates ids
  });
});
