import { z } from 'zod';
import { ConfigError, DataFormatError, type Problem } from '@oreal-ts/core';
import { readJsonl } from '@oreal-ts/core/node';

/** One line of a MATH-500 style JSONL file (extra fields such as `solution` are allowed). */
export const Math500RecordSchema = z.object({
  problem: z.string().min(1),
  answer: z.string(),
  subject: z.string().min(1),
  level: z.number().int().min(1).max(5),
  unique_id: z.string().min(1),
  solution: z.string().optional(),
});

/** One MATH-500 record (see `Math500RecordSchema`). */
export type Math500Record = z.output<typeof Math500RecordSchema>;

/** A MATH-500 record as a core `Problem` (`id` = `unique_id`, `question` = `problem`). */
export function toProblem(record: Math500Record): Problem {
  return {
    id: record.unique_id,
    question: record.problem,
    answer: record.answer,
    subject: record.subject,
    level: record.level,
    ...(record.solution === undefined ? {} : { solution: record.solution }),
  };
}

/**
 * Read and validate a MATH-500 JSONL file. Each line is checked with `Math500RecordSchema`; a bad line
 * throws `DataFormatError` naming file:line and the field. Duplicate `unique_id`s are rejected too.
 */
export async function loadMath500(file: string): Promise<Problem[]> {
  const problems: Problem[] = [];
  const lines = new Map<string, number>();
  for await (const { line, value } of readJsonl(file, Math500RecordSchema)) {
    const earlier = lines.get(value.unique_id);
    if (earlier !== undefined) {
      throw new DataFormatError(file, line, 'unique_id', `duplicate unique_id '${value.unique_id}' (first on line ${earlier}); ids must be distinct`);
    }
    lines.set(value.unique_id, line);
    problems.push(toProblem(value));
  }
  if (problems.length === 0) throw new ConfigError('data', `${file} holds no problems; pass a MATH-500 style JSONL file`);
  return problems;
}
