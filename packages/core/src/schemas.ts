import { z } from 'zod';
import { VERDICT_REASONS, type VerdictReason } from './contracts/verdict';

/** Schema of `Problem` (see contracts/problem.ts). */
export const ProblemSchema = z.object({
  id: z.string().min(1),
  question: z.string().min(1),
  answer: z.string(),
  solution: z.string().optional(),
  subject: z.string().optional(),
  level: z.number().int().optional(),
  passRate: z.number().min(0).max(1).optional(),
});

/** Schema of `SampleOptions`, with the field rules the samplers rely on. */
export const SampleOptionsSchema = z.object({
  n: z.number().int().min(1),
  temperature: z.number().min(0),
  topP: z.number().gt(0).max(1),
  topK: z.number().int().min(0).optional(),
  maxNewTokens: z.number().int().min(1),
  stop: z.array(z.string().min(1)).optional(),
  stopTokenIds: z.array(z.number().int().min(0)).optional(),
  seed: z.number().int().optional(),
});

/** Schema of a `Rollout` record (e.g. in trajectory dumps). */
export const RolloutSchema = z.object({
  problemId: z.string(),
  sampleIndex: z.number().int().min(0),
  prompt: z.string(),
  promptTokenIds: z.array(z.number().int()).optional(),
  text: z.string(),
  tokenIds: z.array(z.number().int()),
  logProbs: z.array(z.number()),
  finishReason: z.enum(['stop', 'length', 'error']),
  error: z.string().optional(),
  policyVersion: z.number().int().min(0).optional(),
});

/** Schema of a `Verdict`. */
export const VerdictSchema = z.object({
  correct: z.boolean(),
  reason: z.enum(VERDICT_REASONS as [VerdictReason, ...VerdictReason[]]),
  gold: z.string(),
  predicted: z.string().nullable(),
  detail: z.string().optional(),
});

/** Schema of a `RngState`. */
export const RngStateSchema = z.object({
  algorithm: z.literal('sfc32'),
  words: z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number().int()]),
});
