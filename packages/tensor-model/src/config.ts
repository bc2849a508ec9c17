/**
 * Model configuration with Hugging Face `LlamaConfig` / `Qwen2Config` keys, so a `config.json`
 * from the Hub parses as is (unknown keys are kept and written back on save).
 */
import { z } from 'zod';
import { parseConfig } from '@oreal-ts/core';

const positiveInt = z.number().int().positive();

/**
 * The transformer's configuration (snake_case, as in Hugging Face `config.json`).
 * - `model_type`: `llama` or `qwen2` (default `llama`).
 * - `attention_bias`: bias on q/k/v projections. Qwen2 always has it (and no o_proj bias), so it
 *   defaults to true for `qwen2`; for `llama` it defaults to false and, when true, o_proj has a bias too (as in HF).
 * - `num_key_value_heads` defaults to `num_attention_heads` (no grouping); `head_dim` to
 *   `hidden_size / num_attention_heads`.
 * - `rope_scaling`: absent, null or `{rope_type: 'default'}` / `{type: 'default'}` (plain RoPE); any other scaling is refused.
 * - `architectures`: when given, must name the `model_type`'s family (`Qwen2…` / `Llama…`).
 * - `rope_theta` 10000, `rms_norm_eps` 1e-6, `tie_word_embeddings` false, `initializer_range` 0.02 (HF defaults).
 */
export const TransformerConfigSchema = z
  .object({
    model_type: z.enum(['llama', 'qwen2']).default('llama'),
    vocab_size: positiveInt,
    hidden_size: positiveInt,
    intermediate_size: positiveInt,
    num_hidden_layers: positiveInt,
    num_attention_heads: positiveInt,
    num_key_value_heads: positiveInt.optional(),
    head_dim: positiveInt.optional(),
    max_position_embeddings: positiveInt.default(2048),
    rope_theta: z.number().positive().default(10000),
    rms_norm_eps: z.number().positive().default(1e-6),
    tie_word_embeddings: z.boolean().default(false),
    attention_bias: z.boolean().optional(),
    initializer_range: z.number().positive().default(0.02),
    rope_scaling: z
      .union([
        z.null(),
        z.looseObject({ rope_type: z.literal('default'), type: z.literal('default').optional() }),
        z.looseObject({ type: z.literal('default'), rope_type: z.literal('default').optional() }),
      ], { error: "rope_scaling is not supported (plain RoPE only: null or {rope_type: 'default'}); remove it or use a model without RoPE scaling" })
      .optional(),
    architectures: z
      .array(z.string())
      .optional(),
    hidden_act: z.literal('silu', { error: "hidden_act must be 'silu' (SwiGLU); other activations are not supported" }).optional(),
    mlp_bias: z.literal(false, { error: 'mlp_bias is not supported (Llama/Qwen2 MLPs have no bias)' }).optional(),
    use_sliding_window: z.literal(false, { error: 'sliding-window attention is not supported; set use_sliding_window: false' }).optional(),
    bos_token_id: z.number().int().nullable().optional(),
    eos_token_id: z.union([z.number().int(), z.array(z.number().int())]).nullable().optional(),
    pad_token_id: z.number().int().nullable().optional(),
  })
  .loose()
  .superRefine((config, context) => {
    const expected = config.model_type === 'qwen2' ? 'Qwen2' : 'Llama';
    const other = config.architectures?.find((name) => !name.startsWith(expected));
    if (other !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['architectures'],
        message: `architectures ${JSON.stringify(config.architectures)} does not match model_type '${config.model_type}' (expected ${expected}ForCausalLM or ${expected}ForTokenClassification)`,
      });
    }
    const heads = config.num_attention_heads;
    const kvHeads = config.num_key_value_heads ?? heads;
    if (heads % kvHeads !== 0) {
      context.addIssue({
        code: 'custom',
        path: ['num_key_value_heads'],
        message: `num_attention_heads (${heads}) must be a multiple of num_key_value_heads (${kvHeads})`,
      });
    }
    if (config.head_dim === undefined && config.hidden_size % heads !== 0) {
      context.addIssue({
        code: 'custom',
        path: ['hidden_size'],
        message: `hidden_size (${config.hidden_size}) must be divisible by num_attention_heads (${heads}), or set head_dim`,
      });
    }
    const headDim = config.head_dim ?? config.hidden_size / heads;
    if (headDim % 2 !== 0) {
      context.addIssue({ code: 'custom', path: ['head_dim'], message: `head dimension (${headDim}) must be even for rotary embeddings` });
    }
  });

/** A parsed transformer configuration. */
export type TransformerConfig = z.output<typeof TransformerConfigSchema>;
/** What a caller may pass (defaults filled by the schema). */
export type TransformerConfigInput = z.input<typeof TransformerConfigSchema>;

/** Derived sizes used by the model code. */
export interface ModelDimensions {
  readonly vocabSize: number;
  /** C */
  readonly hidden: number;
  /** I */
  readonly intermediate: number;
  readonly layers: number;
  /** H */
  readonly heads: number;
  /** H_kv */
  readonly kvHeads: number;
  /** D */
  readonly headDim: number;
  readonly qkvBias: boolean;
  readonly outputBias: boolean;
  readonly tied: boolean;
  readonly ropeTheta: number;
  readonly eps: number;
  readonly maxPositions: number;
}

/** Parse (and fill defaults of) a configuration; throws `ConfigError` naming the bad field. */
export function parseTransformerConfig(value: unknown, where = 'model'): TransformerConfig {
  return parseConfig(TransformerConfigSchema, value, where);
}

/** Sizes derived from a configuration. */
export function dimensionsOf(config: TransformerConfig): ModelDimensions {
  const heads = config.num_attention_heads;
  const bias = config.attention_bias ?? config.model_type === 'qwen2';
  return {
    vocabSize: config.vocab_size,
    hidden: config.hidden_size,
    intermediate: config.intermediate_size,
    layers: config.num_hidden_layers,
    heads,
    kvHeads: config.num_key_value_heads ?? heads,
    headDim: config.head_dim ?? config.hidden_size / heads,
    qkvBias: bias,
    outputBias: config.model_type === 'llama' && bias,
    tied: config.tie_word_embeddings,
    ropeTheta: config.rope_theta,
    eps: config.rms_norm_eps,
    maxPositions: config.max_position_embeddings,
  };
}
