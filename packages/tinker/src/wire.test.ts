import { describe, expect, it } from 'vitest';
import {
  AdamParamsSchema,
  CreateModelRequestSchema,
  DatumSchema,
  ForwardBackwardOutputSchema,
  SampleRequestSchema,
  SampleResponseSchema,
  SamplingParamsSchema,
  TINKER_OPS,
} from './wire';

// Fixtures written from the public Tinker API reference (types Datum, ModelInput, TensorData,
// AdamParams, SamplingParams, SampleResponse) and the SDKs' request shapes.
describe('wire schemas', () => {
  it('accepts a documented cross_entropy datum and defaults the chunk type', () => {
    const datum = DatumSchema.parse({
      model_input: { chunks: [{ tokens: [1, 2, 3] }] },
      loss_fn_inputs: {
        target_tokens: { data: [2, 3, 4], dtype: 'int64', shape: [3] },
        weights: { data: [0, 1, 1], dtype: 'float32', shape: [3] },
      },
    });
    expect(datum.model_input.chunks[0]?.type).toBe('encoded_text');
    expect(datum.loss_fn_inputs['weights']?.data).toEqual([0, 1, 1]);
  });

  it('fills the documented AdamParams defaults', () => {
    expect(AdamParamsSchema.parse({ learning_rate: 1e-4 })).toEqual({
      learning_rate: 1e-4,
      beta1: 0.9,
      beta2: 0.95,
      eps: 1e-12,
      weight_decay: 0,
      grad_clip_norm: 0,
    });
  });

  it('defaults sampling params (top_k -1 = off) and accepts token-id stops', () => {
    const params = SamplingParamsSchema.parse({ max_tokens: 8, stop: [5, 6] });
    expect(params.top_k).toBe(-1);
    expect(params.temperature).toBe(1);
    expect(params.stop).toEqual([5, 6]);
    expect(() => SamplingParamsSchema.parse({ max_tokens: 8, stop: ['a', 5] })).toThrow();
  });

  it('rejects a create_model request without a LoRA rank, naming the field', () => {
    const result = CreateModelRequestSchema.safeParse({ session_id: 's', model_seq_id: 0, base_model: 'm', lora_config: {} });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['lora_config', 'rank']);
  });

  it('keeps unknown response fields and checks stop_reason', () => {
    const parsed = SampleResponseSchema.parse({ type: 'sample', sequences: [{ tokens: [1], logprobs: [-0.5], stop_reason: 'length', extra: 1 }] });
    expect(parsed.sequences[0]).toMatchObject({ extra: 1 });
    expect(SampleResponseSchema.safeParse({ sequences: [{ tokens: [1], stop_reason: 'eos' }] }).success).toBe(false);
  });

  it('accepts the oreal row-seed extension on asample and a forward_backward output', () => {
    const request = SampleRequestSchema.parse({
      num_samples: 2,
      prompt: { chunks: [{ type: 'encoded_text', tokens: [1] }] },
      sampling_params: { max_tokens: 4, seed: 7 },
      model_path: 'tinker://run/sampler_weights/0001',
      oreal_row_seed_key: '3',
    });
    expect(request.oreal_row_seed_key).toBe('3');
    const output = ForwardBackwardOutputSchema.parse({
      loss_fn_output_type: 'target_token_logprobs',
      loss_fn_outputs: [{ logprobs: { data: [-1, -2], dtype: 'float32' } }],
      metrics: { 'loss:sum': 3 },
    });
    expect(output.metrics['loss:sum']).toBe(3);
  });

  it('lists every op of the protocol with a method', () => {
    expect(Object.keys(TINKER_OPS).sort()).toEqual(
      [
        'asample',
        'create_model',
        'create_sampling_session',
        'create_session',
        'forward',
        'forward_backward',
        'get_info',
        'get_server_capabilities',
        'load_weights',
        'optim_step',
        'save_weights',
        'save_weights_for_sampler',
        'session_heartbeat',
      ].sort(),
    );
    expect(TINKER_OPS.get_server_capabilities.method).toBe('GET');
  });
});
