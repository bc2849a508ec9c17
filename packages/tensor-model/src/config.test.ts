import { describe, expect, it } from 'vitest';
import { ConfigError } from '@oreal-ts/core';
import { dimensionsOf, parseTransformerConfig, TransformerConfigSchema } from './config';

const base = { vocab_size: 32, hidden_size: 16, intermediate_size: 40, num_hidden_layers: 2, num_attention_heads: 4 };

describe('TransformerConfigSchema', () => {
  it('fills Hugging Face defaults and keeps unknown keys', () => {
    const config = parseTransformerConfig({ ...base, architectures: ['LlamaForCausalLM'], torch_dtype: 'bfloat16' });
    expect(config).toMatchObject({ model_type: 'llama', rope_theta: 10000, rms_norm_eps: 1e-6, tie_word_embeddings: false, max_position_embeddings: 2048, architectures: ['LlamaForCausalLM'] });
    expect(dimensionsOf(config)).toMatchObject({ kvHeads: 4, headDim: 4, qkvBias: false, outputBias: false });
  });

  it('gives qwen2 q/k/v bias without an o_proj bias, and llama attention_bias on all four', () => {
    expect(dimensionsOf(parseTransformerConfig({ ...base, model_type: 'qwen2' }))).toMatchObject({ qkvBias: true, outputBias: false });
    expect(dimensionsOf(parseTransformerConfig({ ...base, attention_bias: true }))).toMatchObject({ qkvBias: true, outputBias: true });
  });

  it('names the bad field', () => {
    expect(() => parseTransformerConfig({ ...base, num_key_value_heads: 3 })).toThrow(/model.num_key_value_heads: .*multiple of num_key_value_heads/);
    expect(() => parseTransformerConfig({ ...base, hidden_size: 18 })).toThrow(ConfigError);
    expect(() => parseTransformerConfig({ ...base, vocab_size: 0 })).toThrow(/model.vocab_size/);
    expect(() => parseTransformerConfig({ ...base, hidden_size: 12, num_attention_heads: 4 })).toThrow(/must be even/);
    expect(TransformerConfigSchema.safeParse({ ...base, rope_scaling: { type: 'llama3' } }).success).toBe(false);
    expect(() => parseTransformerConfig({ ...base, rope_scaling: { type: 'llama3' } })).toThrow(/model.rope_scaling: rope_scaling is not supported/);
    expect(() => parseTransformerConfig({ ...base, hidden_act: 'gelu' })).toThrow(/model.hidden_act/);
    expect(() => parseTransformerConfig({ ...base, model_type: 'qwen2', use_sliding_window: true })).toThrow(/sliding-window/);
    expect(parseTransformerConfig({ ...base, hidden_act: 'silu', mlp_bias: false, use_sliding_window: false, rope_scaling: null }).hidden_act).toBe('silu');
  });

  it('accepts rope_scaling {rope_type: default} / {type: default} as plain RoPE and refuses other scalings', () => {
    expect(parseTransformerConfig({ ...base, rope_scaling: { rope_type: 'default' } }).rope_scaling).toEqual({ rope_type: 'default' });
    expect(parseTransformerConfig({ ...base, rope_scaling: { type: 'default' } }).rope_scaling).toEqual({ type: 'default' });
    expect(() => parseTransformerConfig({ ...base, rope_scaling: { rope_type: 'linear', factor: 2 } })).toThrow(/model.rope_scaling: rope_scaling is not supported/);
    expect(() => parseTransformerConfig({ ...base, rope_scaling: { rope_type: 'yarn', factor: 4 } })).toThrow(/not supported/);
  });

  it('checks architectures against model_type, naming the field', () => {
    expect(parseTransformerConfig({ ...base, model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'] }).architectures).toEqual(['Qwen2ForCausalLM']);
    expect(() => parseTransformerConfig({ ...base, model_type: 'llama', architectures: ['Qwen2ForCausalLM'] }, 'ckpt/config.json')).toThrow(/ckpt\/config.json.*architectures.*does not match model_type 'llama'/);
  });
});
