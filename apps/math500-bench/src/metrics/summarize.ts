import { VERDICT_REASONS, type VerdictReason } from '@oreal-ts/core';
import type { ResultRecord } from '../results/result-record';
import { majorityAtKCurve, type AnswerEquivalence, type VoteSample } from './majority-vote';
import { passAtKCurve } from './pass-at-k';
import { passAtOne, type PassAtOne } from './pass-at-one';
import { subjectLevelTable, type ProblemTally, type SubjectLevelTable } from './subject-level-table';

/** Everything `summary.json` reports. */
export interface BenchmarkSummary {
  readonly benchmark: 'MATH-500';
  readonly model: string;
  /** Problems with at least one graded sample. */
  readonly problems: number;
  /** Problems in the data set (or selection), when known. */
  readonly problemsExpected: number | null;
  /** Samples requested per problem (K), when known. */
  readonly samplesPerProblem: number | null;
  /** Graded samples. */
  readonly samples: number;
  /** Every expected (problem, sample) is graded. */
  readonly complete: boolean;
  /** pass@1 (mean over the K samples, then over problems) with a 95% normal-approximation interval over problems. */
  readonly passAt1: PassAtOne;
  /** Unbiased pass@k for k = 1..min samples per problem. */
  readonly passAtK: { k: number; value: number }[];
  /** maj@k (first k samples, answers clustered by the verifier's equivalence) for k = 1..min samples. */
  readonly majorityAtK: { k: number; value: number }[];
  /** pass@1 by subject × level. */
  readonly table: SubjectLevelTable;
  /**
   * Fraction of samples that finished (not truncated) yet have no extractable final answer — a
   * formatting failure. Disjoint from `truncationRate`: truncated samples count there only.
   */
  readonly extractionFailureRate: number;
  /** Fraction of samples that hit the token limit (finish reason `length`). */
  readonly truncationRate: number;
  /** Mean response length in characters. */
  readonly meanResponseChars: number;
  /** Mean response length in tokens over samples whose token count is known; `null` when none is. */
  readonly meanResponseTokens: number | null;
  /** Count of samples per verdict reason. */
  readonly reasons: Record<VerdictReason, number>;
}

/** Options of `summarize`. */
export interface SummarizeOptions {
  readonly model: string;
  /** Clusters extracted answers for maj@k (the verifier's `compareAnswers`). */
  readonly equivalence: AnswerEquivalence;
  readonly problemsExpected?: number;
  readonly samplesPerProblem?: number;
}

/**
 * Compute every metric from graded samples (one record per (unique_id, sample); duplicates must have
 * been removed, as `loadResults` does). Problems are weighted equally whatever their sample count.
 * Truncated samples and samples without an answer do not vote in maj@k.
 */
export async function summarize(records: readonly ResultRecord[], options: SummarizeOptions): Promise<BenchmarkSummary> {
  const byProblem = new Map<string, ResultRecord[]>();
  for (const record of records) {
    const list = byProblem.get(record.unique_id);
    if (list) list.push(record);
    else byProblem.set(record.unique_id, [record]);
  }
  const tallies: ProblemTally[] = [];
  const votes: VoteSample[][] = [];
  for (const [id, list] of byProblem) {
    const first = list[0] as ResultRecord;
    tallies.push({ id, subject: first.subject, level: first.level, n: list.length, correct: list.filter((r) => r.correct).length });
    votes.push(
      list.map((r) => ({ sample: r.sample, answer: r.finish_reason === 'length' ? null : r.predicted, correct: r.correct })),
    );
  }
  const reasons = Object.fromEntries(VERDICT_REASONS.map((r) => [r, 0])) as Record<VerdictReason, number>;
  for (const record of records) reasons[record.reason]++;
  const total = records.length;
  const withTokens = records.filter((r) => r.response_tokens !== null);
  const expectedSamples =
    options.problemsExpected !== undefined && options.samplesPerProblem !== undefined
      ? options.problemsExpected * options.samplesPerProblem
      : undefined;
  return {
    benchmark: 'MATH-500',
    model: options.model,
    problems: byProblem.size,
    problemsExpected: options.problemsExpected ?? null,
    samplesPerProblem: options.samplesPerProblem ?? null,
    samples: total,
    complete: expectedSamples === undefined ? true : total >= expectedSamples,
    passAt1: passAtOne(tallies),
    passAtK: passAtKCurve(tallies),
    majorityAtK: await majorityAtKCurve(votes, options.equivalence),
    table: subjectLevelTable(tallies),
    extractionFailureRate: total ? records.filter((r) => r.finish_reason !== 'length' && (r.reason === 'no-answer' || r.predicted === null)).length / total : 0,
    truncationRate: total ? records.filter((r) => r.finish_reason === 'length').length / total : 0,
    meanResponseChars: total ? records.reduce((s, r) => s + r.response_chars, 0) / total : 0,
    meanResponseTokens: withTokens.length ? withTokens.reduce((s, r) => s + (r.response_tokens as number), 0) / withTokens.length : null,
    reasons,
  };
}
