import { z } from 'zod';

const TokenIds = z.array(z.number().int().min(0)).min(1);
const Stop = z
  .union([z.string().min(1), z.array(z.string().min(1)).max(16)])
  .nullable()
  .optional();

/** Sampling fields shared by both endpoints (OpenAI names, plus vLLM's `top_k`, `stop_token_ids`, `include_stop_str_in_output`, `return_tokens_as_token_ids`). */
const SamplingFields = {
  model: z.string().min(1),
  n: z.number().int().min(1).max(64).optional(),
  temperature: z.number().min(0).max(10).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  top_k: z.number().int().min(-1).optional(),
  max_tokens: z.number().int().min(1).nullable().optional(),
  max_completion_tokens: z.number().int().min(1).nullable().optional(),
  stop: Stop,
  stop_token_ids: z.array(z.number().int().min(0)).optional(),
  seed: z.number().int().nullable().optional(),
  stream: z.boolean().optional(),
  include_stop_str_in_output: z.boolean().optional(),
  return_tokens_as_token_ids: z.boolean().optional(),
  presence_penalty: z.number().optional(),
  frequency_penalty: z.number().optional(),
  user: z.string().optional(),
};

/** Body of `POST /v1/completions`; unknown fields are ignored (as vLLM does). */
export const CompletionRequestSchema = z.looseObject({
  ...SamplingFields,
  prompt: z.union([z.string(), z.array(z.string()).min(1), TokenIds, z.array(TokenIds).min(1)]),
  logprobs: z.number().int().min(0).max(20).nullable().optional(),
  echo: z.boolean().optional(),
  best_of: z.number().int().min(1).nullable().optional(),
  suffix: z.string().nullable().optional(),
});

/** Text content: a string or OpenAI content parts of type `text`. */
const Content = z.union([z.string(), z.array(z.object({ type: z.literal('text'), text: z.string() }))]);

/** Body of `POST /v1/chat/completions`. */
export const ChatRequestSchema = z.looseObject({
  ...SamplingFields,
  messages: z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: Content })).min(1),
  logprobs: z.boolean().nullable().optional(),
  top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
});

export type CompletionRequest = z.output<typeof CompletionRequestSchema>;
export type ChatRequest = z.output<typeof ChatRequestSchema>;

/** Body of `POST /v1/load_weights` (oreal-ts): an absolute folder and the version it holds; unknown fields are rejected. */
export const LoadWeightsRequestSchema = z.strictObject({
  path: z
    .string()
    .min(1)
    .refine((path) => path.startsWith('/'), 'must be an absolute path'),
  version: z.number().int().min(0),
});

export type LoadWeightsRequest = z.output<typeof LoadWeightsRequestSchema>;
