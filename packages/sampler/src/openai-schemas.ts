import { z } from 'zod';

/** `stop_reason` (vLLM) / `matched_stop` (SGLang): the stop string or token id that ended a choice. */
const MatchedStop = z.union([z.string(), z.number(), z.null()]).optional();

/** One choice of a `/v1/completions` response (fields this package reads; others pass through). */
export const CompletionChoiceSchema = z.looseObject({
  index: z.number().int().min(0).optional(),
  text: z.string(),
  finish_reason: z.string().nullable().optional(),
  stop_reason: MatchedStop,
  matched_stop: MatchedStop,
  logprobs: z
    .looseObject({
      tokens: z.array(z.string()).optional(),
      token_logprobs: z.array(z.number().nullable()).optional(),
    })
    .nullable()
    .optional(),
});

/** A `/v1/completions` response. */
export const CompletionResponseSchema = z.looseObject({ choices: z.array(CompletionChoiceSchema) });

/** One choice of a `/v1/chat/completions` response. */
export const ChatChoiceSchema = z.looseObject({
  index: z.number().int().min(0).optional(),
  message: z.looseObject({ role: z.string().optional(), content: z.string().nullable().optional() }),
  finish_reason: z.string().nullable().optional(),
  stop_reason: MatchedStop,
  matched_stop: MatchedStop,
  logprobs: z
    .looseObject({
      content: z
        .array(z.looseObject({ token: z.string(), logprob: z.number() }))
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
});

/** A `/v1/chat/completions` response. */
export const ChatResponseSchema = z.looseObject({ choices: z.array(ChatChoiceSchema) });

/** The error body OpenAI-compatible servers send (`{error: {message}}`, or FastAPI's `{detail}`, or `{message}`). */
export const ErrorBodySchema = z.union([
  z.looseObject({ error: z.union([z.looseObject({ message: z.string() }), z.string()]) }),
  z.looseObject({ message: z.string() }),
  z.looseObject({ detail: z.unknown() }),
]);
