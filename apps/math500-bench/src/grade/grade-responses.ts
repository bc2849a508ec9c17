import { mkdir } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError, DataFormatError, type Problem, type Verifier } from '@oreal-ts/core';
import { readJsonl, writeJsonAtomic } from '@oreal-ts/core/node';
import type { AnswerEquivalence } from '../metrics/majority-vote';
import { summarize, type BenchmarkSummary } from '../metrics/summarize';
import { outputFiles, writeOutputs, type OutputFiles } from '../report/write-outputs';
import { resultKey, type ResultRecord } from '../results/result-record';
import { ResultsWriter } from '../results/results-file';
import { toResultRecord } from '../run/run-benchmark';
import type { RunSettings } from '../run/run-settings';

/**
 * One line of a responses file for `grade` mode. The problem is named by `unique_id` or by its exact
 * `problem` text; `sample` defaults to the order of the problem's lines (0, 1, …); `finish_reason`
 * `length` marks a truncated response (graded incorrect).
 */
export const ResponseRecordSchema = z
  .object({
    unique_id: z.string().min(1).optional(),
    problem: z.string().min(1).optional(),
    response: z.string(),
    model: z.string().optional(),
    sample: z.number().int().min(0).optional(),
    finish_reason: z.enum(['stop', 'length']).optional(),
  })
  .refine((r) => r.unique_id !== undefined || r.problem !== undefined, { message: 'needs unique_id or problem', path: ['unique_id'] });

/** One responses line (see `ResponseRecordSchema`). */
export type ResponseRecord = z.output<typeof ResponseRecordSchema>;

/** A response matched to its problem and sample index. */
export interface MatchedResponse {
  readonly problem: Problem;
  readonly sample: number;
  readonly model: string | undefined;
  readonly response: string;
  readonly finishReason: 'stop' | 'length';
}

/**
 * Read a responses file and match each line to a problem (by `unique_id`, else by the trimmed problem
 * text). Unknown problems and repeated (problem, sample) pairs are `DataFormatError`s naming the line.
 * With `model`, only lines of that model (or without one) are kept; without it, the file must hold at
 * most one model.
 */
export async function readResponses(file: string, problems: readonly Problem[], model?: string): Promise<MatchedResponse[]> {
  const byId = new Map(problems.map((p) => [p.id, p]));
  const byText = new Map(problems.map((p) => [p.question.trim(), p]));
  const nextSample = new Map<string, number>();
  const seen = new Map<string, number>();
  const models = new Set<string>();
  const out: MatchedResponse[] = [];
  for await (const { line, value } of readJsonl(file, ResponseRecordSchema)) {
    if (model !== undefined && value.model !== undefined && value.model !== model) continue;
    if (value.model !== undefined) models.add(value.model);
    const problem = value.unique_id !== undefined ? byId.get(value.unique_id) : byText.get((value.problem as string).trim());
    if (!problem) {
      throw value.unique_id !== undefined
        ? new DataFormatError(file, line, 'unique_id', `unknown unique_id '${value.unique_id}': not in the problem set (check --data)`)
        : new DataFormatError(file, line, 'problem', 'problem text matches no problem in the data set exactly; give unique_id instead');
    }
    const sample = value.sample ?? nextSample.get(problem.id) ?? 0;
    nextSample.set(problem.id, Math.max(nextSample.get(problem.id) ?? 0, sample + 1));
    const key = resultKey(problem.id, sample);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw new DataFormatError(file, line, 'sample', `response ${sample} of ${problem.id} already given on line ${earlier}; each (problem, sample) once`);
    }
    seen.set(key, line);
    out.push({ problem, sample, model: value.model, response: value.response, finishReason: value.finish_reason ?? 'stop' });
  }
  if (model === undefined && models.size > 1) {
    throw new ConfigError('model', `${file} holds responses of ${models.size} models (${[...models].join(', ')}); pick one with --model`);
  }
  if (out.length === 0) throw new ConfigError('responses', `${file} holds no responses${model === undefined ? '' : ` of model '${model}'`}`);
  return out;
}

/** Options of `gradeResponses`. */
export interface GradeResponsesOptions {
  readonly problems: readonly Problem[];
  readonly responsesFile: string;
  readonly verifier: Verifier;
  readonly equivalence: AnswerEquivalence;
  readonly outDir: string;
  /** Keep only this model's lines; also the model name in the report (default: the file's, or `responses`). */
  readonly model?: string;
  /** Path shown as the data source in the report. */
  readonly dataLabel: string;
  /** Verifications in flight at once (keeps a worker pool busy). Default 64. */
  readonly concurrency?: number;
  readonly log?: (message: string) => void;
}

/** Result of `gradeResponses`. */
export interface GradeResponsesResult {
  readonly summary: BenchmarkSummary;
  readonly files: OutputFiles;
  readonly records: ResultRecord[];
}

/**
 * Grade responses produced by any tool with the same verifier as the sampling mode, and write the same
 * outputs (results.jsonl afresh, run.json, summary.json, report.md, chart). K is the largest sample
 * count of any problem; only problems present in the file are scored.
 */
export async function gradeResponses(options: GradeResponsesOptions): Promise<GradeResponsesResult> {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const matched = await readResponses(options.responsesFile, options.problems, options.model);
  const model = options.model ?? matched.find((m) => m.model !== undefined)?.model ?? 'responses';
  const perProblem = new Map<string, number>();
  for (const m of matched) perProblem.set(m.problem.id, (perProblem.get(m.problem.id) ?? 0) + 1);
  const samplesPerProblem = Math.max(...perProblem.values());
  const settings: RunSettings = {
    mode: 'grade',
    model,
    source: `responses:${options.responsesFile}`,
    data: options.dataLabel,
    template: null,
    n: samplesPerProblem,
    temperature: null,
    topP: null,
    maxTokens: null,
    seed: null,
    problems: perProblem.size,
  };
  const files = outputFiles(options.outDir);
  await mkdir(options.outDir, { recursive: true });
  await writeJsonAtomic(files.settings, settings);
  const writer = await ResultsWriter.open(files.results, { truncate: true, flushEvery: 1024 });
  const records: ResultRecord[] = new Array(matched.length);
  let next = 0;
  const worker = async () => {
    while (next < matched.length) {
      const index = next++;
      const m = matched[index] as MatchedResponse;
      const verdict = await options.verifier.verify(m.problem, { text: m.response, finishReason: m.finishReason });
      const record = toResultRecord(m.problem, m.sample, model, { text: m.response, tokenIds: [], finishReason: m.finishReason }, verdict);
      records[index] = record;
      await writer.write(record);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 64) }, worker));
  } finally {
    await writer.close();
  }
  log(`graded ${records.length} responses of ${perProblem.size} problems`);
  const summary = await summarize(records, {
    model,
    equivalence: options.equivalence,
    problemsExpected: perProblem.size,
    samplesPerProblem,
  });
  const written = await writeOutputs(options.outDir, summary, settings, log);
  return { summary, files: written, records };
}
