import { z } from 'zod';
import type { Problem, Verdict, Verifier } from '@oreal-ts/core';
import { readJsonl } from '@oreal-ts/core/node';
import { extractAnswer } from '@oreal-ts/math-verifier';
import type { CommandOutput } from './output';

/** One line of `oreal verify --input file.jsonl`. */
export const VerifyRecordSchema = z.strictObject({
  id: z.string().optional(),
  gold: z.string(),
  response: z.string(),
  finishReason: z.enum(['stop', 'length', 'error']).optional(),
});

/** Options of a single verification. */
export interface VerifyOneOptions {
  readonly gold: string;
  readonly response: string;
  readonly explain: boolean;
  readonly json: boolean;
}

function problemFor(gold: string, id = 'cli'): Problem {
  return { id, question: '(given on the command line)', answer: gold };
}

/** Grade one response; prints the verdict. Returns the verdict (the CLI exits 0 when correct, 1 when not). */
export async function verifyOne(
  verifier: Verifier,
  options: VerifyOneOptions,
  output: CommandOutput,
): Promise<Verdict> {
  const verdict = await verifier.verify(problemFor(options.gold), options.response);
  if (options.json) {
    output.out(
      JSON.stringify(options.explain ? { ...verdict, extracted: extractAnswer(options.response) } : verdict),
    );
    return verdict;
  }
  const lines = [
    `${verdict.correct ? 'correct' : 'incorrect'} (${verdict.reason})`,
    `  gold:      ${verdict.gold}`,
    `  predicted: ${verdict.predicted ?? '(none found)'}`,
  ];
  if (options.explain) {
    lines.push(`  extracted: ${JSON.stringify(extractAnswer(options.response))}`);
    if (verdict.detail) lines.push(`  detail:    ${verdict.detail}`);
  }
  output.out(lines.join('\n'));
  return verdict;
}

/** Summary of a batch verification. */
export interface VerifyBatchSummary {
  readonly total: number;
  readonly correct: number;
  readonly reasons: Record<string, number>;
}

/**
 * Grade every line of a JSONL file `{id?, gold, response, finishReason?}`; prints one JSON verdict
 * per line (with `line` and `id`) to stdout and a summary to stderr. A bad line throws
 * `DataFormatError` naming file:line and field.
 */
export async function verifyBatch(
  verifier: Verifier,
  file: string,
  output: CommandOutput,
): Promise<VerifyBatchSummary> {
  const reasons: Record<string, number> = {};
  let total = 0;
  let correct = 0;
  const pending: Promise<void>[] = [];
  const results: string[] = [];
  for await (const record of readJsonl(file, VerifyRecordSchema)) {
    const index = total++;
    const { id, gold, response, finishReason } = record.value;
    pending.push(
      verifier
        .verify(
          problemFor(gold, id ?? `line-${record.line}`),
          finishReason ? { text: response, finishReason } : response,
        )
        .then((verdict) => {
          reasons[verdict.reason] = (reasons[verdict.reason] ?? 0) + 1;
          if (verdict.correct) correct++;
          results[index] = JSON.stringify({
            line: record.line,
            ...(id === undefined ? {} : { id }),
            ...verdict,
          });
        }),
    );
  }
  await Promise.all(pending);
  for (const line of results) output.out(line);
  const share = total === 0 ? 0 : (100 * correct) / total;
  output.err(
    `${total} graded: ${correct} correct (${share.toFixed(1)}%); reasons ${JSON.stringify(reasons)}`,
  );
  return { total, correct, reasons };
}
