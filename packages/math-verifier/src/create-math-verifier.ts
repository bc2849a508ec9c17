// Types only from core: the worker bundle must not need @oreal-ts/core at run time.
import type { FinishReason, Problem, Verdict, Verifier, VerifierResponse } from '@oreal-ts/core';
import { parseAnswerStructure } from './answer-structure';
import { compareAnswers, type AnswerComparison, type CompareOptions } from './compare-answers';
import type { SymbolicBackend } from './compare-scalars';
import { loadComputeEngine } from './compute-engine';
import { extractAnswer, type ExtractedAnswer } from './extract-answer';
import { normalizeAnswerDetailed } from './normalize-answer';

/** Options of `createMathVerifier`. Every field is optional; defaults are the documented policies. */
export interface MathVerifierOptions {
  /** Component id. Default `oreal-ts/math-verifier`. */
  readonly id?: string;
  /** Fall back to the last number of the response (default `false`; the reference uses `true`). */
  readonly lastNumberFallback?: boolean;
  /** Relative tolerance for non-rational values (default `1e-9`; rationals compare exactly). */
  readonly relativeTolerance?: number;
  /** Random points for expressions with variables (default 8, half negative). */
  readonly samplePoints?: number;
  /** Percent policy (default `'scale'`, see `CompareOptions.percent`). */
  readonly percent?: 'scale' | 'strip';
  /**
   * Load `@cortex-js/compute-engine` lazily for answers the built-in parser cannot read (default
   * `true`). Set `false` for the smallest browser bundle; such answers then get `parse-failed`.
   */
  readonly useComputeEngine?: boolean;
  /**
   * Time limit per comparison in ms (default 2000), handed to compute-engine's own evaluation limit.
   * The in-process verifier cannot interrupt itself; its parser is bounded by size, depth and
   * exponent caps instead. For a hard limit use `createVerifierPool` from `@oreal-ts/math-verifier/pool`.
   */
  readonly timeoutMs?: number;
  /** See `CompareOptions.printedPrecisionDigits` (default 10; `Infinity` = exact only). */
  readonly printedPrecisionDigits?: number;
  /** Unit policy (default `'compare'`: compared when both sides carry a known unit; see `CompareOptions.units`). */
  readonly units?: 'compare' | 'drop';
  /**
   * Read the gold with the same extraction as responses when it looks like one (contains `\boxed`
   * or an answer cue): `Thus the answer is: \[ \boxed{4096} \]` → `4096`. Default `true`.
   */
  readonly extractGold?: boolean;
  /**
   * Several boxes written together (`\boxed{(1,4)} \text{ or } \boxed{(5,0)}`) form one list when
   * the gold is a list or set and the last box alone does not match. Default `true`.
   */
  readonly boxGroups?: boolean;
}

/** Start loading compute-engine now (workers call this at start-up so pairs do not pay for it). */
export function preloadComputeEngine(options: MathVerifierOptions = {}): Promise<unknown> {
  return options.useComputeEngine ?? true
    ? loadComputeEngine({ timeLimitMs: options.timeoutMs ?? 2000, relativeTolerance: options.relativeTolerance ?? 1e-9 })
    : Promise.resolve(null);
}

/** Everything behind a verdict, for `--explain` outputs. */
export interface VerdictExplanation {
  readonly verdict: Verdict;
  readonly extraction: ExtractedAnswer;
  /** `null` when no comparison ran (truncated or no answer). */
  readonly comparison: AnswerComparison | null;
  readonly normalizedGold: string;
  readonly normalizedPrediction: string | null;
  /** The extraction rule of the prediction (`boxed`, `box-group`, `answer-is`, `cue`, `trailing-equals`, `last-math`, `choice`, `last-number`, `none`). */
  readonly extractionRule: string;
  /** How the gold was read: `as-given` or the extraction rule applied to it. */
  readonly goldRule: string;
  /** The comparison rule (`AnswerComparison.rule`), or `truncated` / `no-answer` / `error` when none ran. */
  readonly comparisonRule: string;
}

/** The rule verifier: a core `Verifier` plus `explain`. */
export interface MathVerifier extends Verifier {
  /** Like `verify`, with the extraction and comparison steps exposed. Never throws. */
  explain(problem: Problem, response: string | VerifierResponse): Promise<VerdictExplanation>;
}

function extractionDetail(extraction: ExtractedAnswer): string {
  const parts = [`answer from ${extraction.source}`];
  if (extraction.cue) parts.push(`after the last cue '${extraction.cue}'`);
  if (extraction.marker) parts.push(`after the last '${extraction.marker}'`);
  if (extraction.boxedAnswers.length > 1) {
    parts.push(
      extraction.conflictingBoxedAnswers
        ? `${extraction.boxedAnswers.length} boxed answers disagree (${extraction.boxedAnswers.map((a) => `'${a.slice(0, 40)}'`).join(', ')}); judged by the last`
        : `${extraction.boxedAnswers.length} boxed answers, all equal`,
    );
  }
  if (extraction.note) parts.push(extraction.note);
  return parts.join('; ');
}

/**
 * Create the rule-based maths verifier (pure, browser-safe). `verify` never throws: truncated
 * responses (`finishReason: 'length'`) are `truncated`, missing answers `no-answer`, internal
 * failures `error`; otherwise the reason names the stage that proved equality or `mismatch` /
 * `parse-failed`.
 */
export function createMathVerifier(options: MathVerifierOptions = {}): MathVerifier {
  const useComputeEngine = options.useComputeEngine ?? true;
  let backend: SymbolicBackend | null | undefined;
  const compareOptions: CompareOptions = {
    ...(options.relativeTolerance !== undefined ? { relativeTolerance: options.relativeTolerance } : {}),
    ...(options.samplePoints !== undefined ? { samplePoints: options.samplePoints } : {}),
    ...(options.percent !== undefined ? { percent: options.percent } : {}),
    ...(options.printedPrecisionDigits !== undefined ? { printedPrecisionDigits: options.printedPrecisionDigits } : {}),
    ...(options.units !== undefined ? { units: options.units } : {}),
  };
  const compare = (gold: string, predicted: string): AnswerComparison =>
    compareAnswers(gold, predicted, backend ? { ...compareOptions, symbolicBackend: backend } : compareOptions);

  async function explain(problem: Problem, response: string | VerifierResponse): Promise<VerdictExplanation> {
    const gold = typeof problem?.answer === 'string' ? problem.answer : String(problem?.answer ?? '');
    let goldAnswer = gold;
    let goldRule = 'as-given';
    if ((options.extractGold ?? true) && GOLD_LOOKS_LIKE_RESPONSE.test(gold) && gold.length <= 20_000) {
      const read = extractAnswer(gold);
      if (read.answer !== null) {
        goldAnswer = read.answer;
        goldRule = read.source;
      }
    }
    const normalizedGold = safeNormalize(goldAnswer);
    const none = (rule: string) => ({ extractionRule: rule, goldRule, comparisonRule: rule });
    try {
      const text = responseText(response) ?? '';
      const goldIsChoice = /^\(?[A-E]\)?$/.test(normalizedGold);
      const extraction = extractAnswer(typeof text === 'string' ? text : String(text), {
        lastNumberFallback: options.lastNumberFallback ?? false,
        choiceFallback: goldIsChoice,
      });
      const predicted = extraction.answer;
      const normalizedPrediction = predicted === null ? null : safeNormalize(predicted);
      if (responseFinishReason(response) === 'length') {
        const verdict: Verdict = { correct: false, reason: 'truncated', gold, predicted, detail: 'response hit the token limit (finish reason length)' };
        return { verdict, extraction, comparison: null, normalizedGold, normalizedPrediction, ...none('truncated'), extractionRule: extraction.source };
      }
      if (predicted === null) {
        const verdict: Verdict = { correct: false, reason: 'no-answer', gold, predicted: null, detail: extractionDetail(extraction) };
        return { verdict, extraction, comparison: null, normalizedGold, normalizedPrediction, ...none('no-answer'), extractionRule: 'none' };
      }
      let comparison = compare(goldAnswer, predicted);
      // Load the CAS only for LaTeX the built-in parser could not read (not for overflow or caps).
      if (comparison.symbolicBackendMayHelp && useComputeEngine && backend === undefined) {
        backend = await loadComputeEngine({ timeLimitMs: options.timeoutMs ?? 2000, relativeTolerance: options.relativeTolerance ?? 1e-9 });
        if (backend) comparison = compare(goldAnswer, predicted);
      }
      let extractionRule: string = extraction.source;
      let judged = predicted;
      // Boxes written together form one list when the gold is a list or set.
      const group = extraction.boxGroup;
      if (!comparison.equal && group && (options.boxGroups ?? true) && goldIsList(normalizedGold, group.length)) {
        const joined = group.join(', ');
        const grouped = compare(goldAnswer, joined);
        if (grouped.equal) {
          comparison = grouped;
          judged = joined;
          extractionRule = 'box-group';
        }
      }
      const verdict: Verdict = {
        correct: comparison.equal,
        reason: comparison.reason,
        gold,
        predicted: judged,
        detail: `${extractionDetail(extraction)}${extractionRule === 'box-group' ? `; ${group?.length} adjacent boxes read as one list` : ''}${goldRule !== 'as-given' ? `; gold read from ${goldRule}` : ''}; ${comparison.detail ?? comparison.reason}${comparison.rule ? `; rule ${comparison.rule}` : ''}`,
      };
      return { verdict, extraction, comparison, normalizedGold, normalizedPrediction: judged === predicted ? normalizedPrediction : safeNormalize(judged), extractionRule, goldRule, comparisonRule: comparison.rule ?? comparison.reason };
    } catch (error) {
      const verdict: Verdict = { correct: false, reason: 'error', gold, predicted: null, detail: `verifier failed: ${error instanceof Error ? error.message : String(error)}` };
      return {
        verdict,
        extraction: { answer: null, source: 'none', boxedAnswers: [], conflictingBoxedAnswers: false, marker: null, scannedFrom: 0 },
        comparison: null,
        normalizedGold,
        normalizedPrediction: null,
        ...none('error'),
      };
    }
  }

  return {
    specificationVersion: 'v1',
    id: options.id ?? 'oreal-ts/math-verifier',
    explain,
    async verify(problem, response) {
      return (await explain(problem, response)).verdict;
    },
  };
}

/** A gold that is itself a response: it has a box or an answer cue, not just an answer. */
const GOLD_LOOKS_LIKE_RESPONSE = /\\boxed|\\fbox|answer|r[ée]ponse|respuesta|antwort|ответ|الإجابة|उत्तर|答案|答え/i;

/** The gold (normalised) is a top-level list or set with `count` items. */
function goldIsList(normalizedGold: string, count: number): boolean {
  const node = parseAnswerStructure(normalizedGold);
  return (node.kind === 'list' || node.kind === 'set') && node.items.length === count;
}

function responseText(response: string | VerifierResponse): string {
  return typeof response === 'string' ? response : String(response?.text ?? '');
}

function responseFinishReason(response: string | VerifierResponse): FinishReason | undefined {
  return typeof response === 'string' ? undefined : response?.finishReason;
}

function safeNormalize(text: string): string {
  try {
    const n = normalizeAnswerDetailed(text);
    return n.text + (n.percent ? '%' : '');
  } catch {
    return text;
  }
}
