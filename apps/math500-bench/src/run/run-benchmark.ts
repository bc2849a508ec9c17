import { mkdir, readFile, stat } from 'node:fs/promises';
import {
  ConfigError,
  hashString,
  parseConfig,
  type Problem,
  type Rollout,
  type SampleOptions,
  type Sampler,
  type Verifier,
} from '@oreal-ts/core';
import { writeJsonAtomic } from '@oreal-ts/core/node';
import type { AnswerEquivalence } from '../metrics/majority-vote';
import { summarize, type BenchmarkSummary } from '../metrics/summarize';
import { outputFiles, writeOutputs, type OutputFiles } from '../report/write-outputs';
import { resultKey, type ResultRecord } from '../results/result-record';
import { loadResults, ResultsWriter } from '../results/results-file';
import { RESUME_KEYS, RunSettingsSchema, type RunSettings } from './run-settings';

/** Options of `runBenchmark`. */
export interface RunBenchmarkOptions {
  readonly problems: readonly Problem[];
  readonly sampler: Sampler;
  /** Grades each response (`createMathVerifier` or its worker pool). */
  readonly verifier: Verifier;
  /** Clusters answers for maj@k (the verifier's `compareAnswers`). */
  readonly equivalence: AnswerEquivalence;
  /** Output folder (results.jsonl, run.json, summary.json, report.md, accuracy.svg/png). */
  readonly outDir: string;
  /** Settings recorded in run.json; `n` is K. */
  readonly settings: RunSettings;
  /** Sampling options except `n` and `seed`, which are set per call. */
  readonly sampling: Omit<SampleOptions, 'n' | 'seed'>;
  /** Sampler calls in flight at once. Default 8. */
  readonly concurrency?: number;
  /**
   * Samples requested per sampler call (one problem per call). Default 1: the finest resume grain, and
   * HTTP samplers issue one request per sample anyway. Local samplers batch better with K.
   */
  readonly samplesPerCall?: number;
  /**
   * Problems per sampler call, among consecutive problems that miss the same sample indices. Default 1.
   * Local samplers decode all rows of a call as one batch, so more problems per call is faster there.
   */
  readonly problemsPerCall?: number;
  /** Continue the run in `outDir`, skipping every (unique_id, sample) already in results.jsonl. */
  readonly resume?: boolean;
  /** Aborting stops the run at once, as a kill would: nothing more is written, no summary. */
  readonly signal?: AbortSignal;
  /** Progress and warnings (default: stderr). */
  readonly log?: (message: string) => void;
}

/** What a finished run returns. */
export interface RunBenchmarkResult {
  readonly summary: BenchmarkSummary;
  readonly files: OutputFiles;
  /** Samples graded by this invocation. */
  readonly graded: number;
  /** Samples skipped because results.jsonl already had them. */
  readonly skipped: number;
  /** Samples that failed (sampler error); rerun with `resume` to retry them. */
  readonly failed: number;
}

/** One sampler call: these problems, these sample indices of each. */
interface WorkUnit {
  readonly problems: Problem[];
  readonly samples: readonly number[];
}

/**
 * Seed of one sampler call: a hash of the run seed, the (first) problem id and the first sample index,
 * so a resumed run draws the same samples as an uninterrupted one would where the backend honours
 * seeds and calls hold one problem (with several problems per call, rows also depend on the grouping).
 */
export function callSeed(seed: number | null, problemId: string, firstSample: number): number | undefined {
  return seed === null ? undefined : hashString(`${seed}/${problemId}/${firstSample}`);
}

/** Turn a rollout and its verdict into a results line. */
export function toResultRecord(
  problem: Problem,
  sample: number,
  model: string,
  rollout: Pick<Rollout, 'text' | 'tokenIds' | 'finishReason'> & { logProbs?: readonly number[] },
  verdict: { correct: boolean; reason: ResultRecord['reason']; gold: string; predicted: string | null; detail?: string },
): ResultRecord {
  return {
    unique_id: problem.id,
    sample,
    model,
    subject: problem.subject ?? null,
    level: problem.level ?? null,
    response: rollout.text,
    finish_reason: rollout.finishReason === 'length' ? 'length' : 'stop',
    correct: verdict.correct,
    reason: verdict.reason,
    gold: verdict.gold,
    predicted: verdict.predicted,
    // Local samplers give token ids; remote ones give one log-prob per server token when asked.
    response_tokens: rollout.tokenIds.length > 0 ? rollout.tokenIds.length : rollout.logProbs?.length ? rollout.logProbs.length : null,
    response_chars: [...rollout.text].length,
    ...(verdict.detail === undefined ? {} : { detail: verdict.detail }),
  };
}

async function checkResumable(files: OutputFiles, settings: RunSettings, resume: boolean): Promise<void> {
  const existing = await stat(files.results).catch(() => undefined);
  if (!resume) {
    if (existing && existing.size > 0) {
      throw new ConfigError('out', `${files.results} already holds results; pass --resume to continue that run, or choose another --out`);
    }
    return;
  }
  const text = await readFile(files.settings, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const previous = parseConfig(RunSettingsSchema, JSON.parse(text), files.settings);
  for (const key of RESUME_KEYS) {
    if (previous[key] !== settings[key]) {
      throw new ConfigError(
        key,
        `--resume: the run in ${files.settings} used ${key} = ${JSON.stringify(previous[key])}, this one ${JSON.stringify(settings[key])}; use the same settings or another --out`,
      );
    }
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The run was aborted', 'AbortError');
}

/**
 * Sample K responses per problem, grade each with the verifier, and append each graded sample to
 * `results.jsonl` as soon as it is graded. With `resume`, (unique_id, sample) pairs already in the file
 * are skipped, and a torn last line left by a kill is repaired first. At the end (nothing aborted),
 * writes summary.json, report.md and the chart from every result in the file.
 */
export async function runBenchmark(options: RunBenchmarkOptions): Promise<RunBenchmarkResult> {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const { settings, signal } = options;
  const files = outputFiles(options.outDir);
  await mkdir(options.outDir, { recursive: true });
  await checkResumable(files, settings, options.resume ?? false);
  const loaded = options.resume ? await loadResults(files.results) : { records: [], done: new Set<string>(), repairedTornLine: false, duplicates: 0 };
  if (loaded.repairedTornLine) log(`resume: removed a torn last line from ${files.results} (a write cut by a kill)`);
  if (loaded.duplicates > 0) log(`resume: ignoring ${loaded.duplicates} duplicate result lines`);
  await writeJsonAtomic(files.settings, settings);

  const samplesPerCall = Math.max(1, options.samplesPerCall ?? 1);
  const problemsPerCall = Math.max(1, options.problemsPerCall ?? 1);
  const units: WorkUnit[] = [];
  let skipped = 0;
  for (const problem of options.problems) {
    const missing: number[] = [];
    for (let sample = 0; sample < settings.n; sample++) {
      if (loaded.done.has(resultKey(problem.id, sample))) skipped++;
      else missing.push(sample);
    }
    for (let i = 0; i < missing.length; i += samplesPerCall) {
      const samples = missing.slice(i, i + samplesPerCall);
      const last = units[units.length - 1];
      if (last && last.problems.length < problemsPerCall && last.samples.join() === samples.join()) last.problems.push(problem);
      else units.push({ problems: [problem], samples });
    }
  }
  const todo = units.reduce((s, u) => s + u.samples.length * u.problems.length, 0);
  if (skipped > 0) log(`resume: ${skipped} samples already graded, ${todo} to go`);

  const writer = await ResultsWriter.open(files.results, { truncate: !options.resume });
  const fresh: ResultRecord[] = [];
  let failed = 0;
  let correct = 0;
  let next = 0;
  let lastLog = Date.now();
  const runUnit = async (unit: WorkUnit): Promise<void> => {
    const first = unit.problems[0] as Problem;
    let groups: readonly { rollouts: readonly Rollout[] }[];
    try {
      groups = await options.sampler.sample(unit.problems, {
        ...options.sampling,
        n: unit.samples.length,
        ...(settings.seed === null ? {} : { seed: callSeed(settings.seed, first.id, unit.samples[0] as number) }),
      });
    } catch (error) {
      if (signal?.aborted) throw abortError(signal);
      failed += unit.samples.length * unit.problems.length;
      log(`warning: sampling ${unit.problems.map((p) => p.id).join(', ')} failed: ${(error as Error).message}`);
      return;
    }
    for (let j = 0; j < unit.problems.length; j++) {
      const problem = unit.problems[j] as Problem;
      const rollouts = groups[j]?.rollouts ?? [];
      for (let i = 0; i < unit.samples.length; i++) {
        if (signal?.aborted) throw abortError(signal);
        const sample = unit.samples[i] as number;
        const rollout = rollouts[i];
        if (!rollout || rollout.finishReason === 'error') {
          failed++;
          log(`warning: ${problem.id} sample ${sample} failed: ${rollout?.error ?? 'the sampler returned no rollout'}`);
          continue;
        }
        const verdict = await options.verifier.verify(problem, { text: rollout.text, finishReason: rollout.finishReason });
        if (signal?.aborted) throw abortError(signal);
        const record = toResultRecord(problem, sample, settings.model, rollout, verdict);
        await writer.write(record);
        fresh.push(record);
        if (record.correct) correct++;
      }
    }
    if (Date.now() - lastLog > 5000 || fresh.length + failed === todo) {
      lastLog = Date.now();
      log(`${fresh.length + skipped}/${todo + skipped} samples graded, ${failed} failed, accuracy of new samples ${fresh.length ? ((100 * correct) / fresh.length).toFixed(1) : '—'}%`);
    }
  };
  const worker = async (): Promise<void> => {
    while (next < units.length) {
      if (signal?.aborted) throw abortError(signal);
      await runUnit(units[next++] as WorkUnit);
    }
  };
  try {
    const aborted = signal
      ? new Promise<never>((_, reject) => {
          if (signal.aborted) reject(abortError(signal));
          signal.addEventListener('abort', () => reject(abortError(signal)), { once: true });
        })
      : undefined;
    aborted?.catch(() => undefined);
    const workers = Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
    workers.catch(() => undefined); // after an abort, late workers reject here; the race below reports it
    await (aborted ? Promise.race([workers, aborted]) : workers);
  } finally {
    await writer.close();
  }

  const ids = new Set(options.problems.map((p) => p.id));
  const all = [...loaded.records, ...fresh].filter((r) => ids.has(r.unique_id) && r.sample < settings.n);
  if (failed > 0) log(`${failed} samples failed; rerun with --resume to retry them`);
  const summary = await summarize(all, {
    model: settings.model,
    equivalence: options.equivalence,
    problemsExpected: options.problems.length,
    samplesPerProblem: settings.n,
  });
  const written = await writeOutputs(options.outDir, summary, settings, log);
  return { summary, files: written, graded: fresh.length, skipped, failed };
}
