import { z } from 'zod';
import { VerdictSchema } from '@oreal-ts/core';

/**
 * One graded sample: a line of `results.jsonl`. Keyed by (`unique_id`, `sample`). Field names follow the
 * MATH-500 file (snake_case) so the file reads well next to the data.
 */
export const ResultRecordSchema = z.object({
  /** MATH-500 `unique_id` of the problem. */
  unique_id: z.string().min(1),
  /** Sample index among the problem's K samples (0-based). */
  sample: z.number().int().min(0),
  /** Model (or checkpoint, or `model` column of graded responses). */
  model: z.string(),
  subject: z.string().nullable(),
  level: z.number().int().nullable(),
  /** The model's response text. */
  response: z.string(),
  /** Why generation ended (`stop` or `length`; failed requests are never written). */
  finish_reason: z.enum(['stop', 'length']),
  /** The verifier's verdict. */
  correct: z.boolean(),
  reason: VerdictSchema.shape.reason,
  gold: z.string(),
  /** Extracted final answer, `null` when none was found. */
  predicted: z.string().nullable(),
  /** Response length in tokens when the sampler knows it, else `null`. */
  response_tokens: z.number().int().min(0).nullable(),
  /** Response length in characters (code points). */
  response_chars: z.number().int().min(0),
  detail: z.string().optional(),
});

/** One graded sample (see `ResultRecordSchema`). */
export type ResultRecord = z.output<typeof ResultRecordSchema>;

/** The resume key of a result: `unique_id` and sample index. */
export function resultKey(uniqueId: string, sample: number): string {
  return `${uniqueId}\u0000${sample}`;
}
