import { LIMITS } from './limits';
import { normalizeAnswer } from './normalize-answer';

/** Where an extracted answer came from. */
export type AnswerSource = 'boxed' | 'answer-is' | 'last-number' | 'choice' | 'none';

/** Options of `extractAnswer`. */
export interface ExtractOptions {
  /**
   * Fall back to the last number in the response when there is no `\boxed{}` and no "the answer
   * is". Default `false`: a number mentioned in passing should not earn reward; the reference
   * verifier enables it, so turn it on to reproduce it.
   */
  readonly lastNumberFallback?: boolean;
  /** Fall back to the last multiple-choice letter `(A)`–`(E)`. Default `false` (the verifier turns it on when the gold is a letter). */
  readonly choiceFallback?: boolean;
}

/** An extracted final answer with everything an `--explain` output needs. */
export interface ExtractedAnswer {
  /** The final answer text (raw, not normalised), or `null` when none was found. */
  readonly answer: string | null;
  readonly source: AnswerSource;
  /** Every `\boxed{}` / `\fbox{}` content in the scanned part, in order (the answer is the last). */
  readonly boxedAnswers: readonly string[];
  /** Whether the boxed answers disagree after normalisation (the last one is used). */
  readonly conflictingBoxedAnswers: boolean;
  /** The reasoning marker after which the answer was searched (`</think>`, `**Final Answer**`, `<conclude>`), if any. */
  readonly marker: string | null;
  /** Character offset in the original text where the scanned part begins. */
  readonly scannedFrom: number;
  /** Why nothing was found, or what was unusual (unclosed `\boxed{`). */
  readonly note?: string;
}

const MARKERS = ['</think>', '**Final Answer**', '<conclude>'];

/** Scan `\boxed{…}` / `\fbox{…}` / `\boxed 5` occurrences. Linear in the text length. */
function findBoxed(text: string): { answers: string[]; unclosed: boolean } {
  const answers: string[] = [];
  let unclosed = false;
  const pattern = /\\(?:boxed|fbox)\b/g;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    let i = match.index + match[0].length;
    while (text[i] === ' ') i++;
    if (text[i] === '{') {
      let depth = 0;
      let end = -1;
      for (let k = i; k < text.length; k++) {
        const c = text[k];
        if (c === '\\') {
          k++;
          continue;
        }
        if (c === '{') depth++;
        else if (c === '}' && --depth === 0) {
          end = k;
          break;
        }
      }
      if (end < 0) {
        unclosed = true;
        break;
      }
      answers.push(text.slice(i + 1, end));
      pattern.lastIndex = end + 1;
    } else {
      // \boxed 5 — one token up to whitespace or `$`.
      const token = /^[^\s$]+/.exec(text.slice(i, i + 200));
      if (token) answers.push(token[0].replace(/[.,;]+$/, ''));
    }
  }
  return { answers, unclosed };
}

const ANSWER_IS = /(?:final answer|the answer|answer)\s*(?:is|:)\s*:?\s*/gi;

function findAnswerIs(text: string): string | null {
  let last: RegExpExecArray | null = null;
  let match: RegExpExecArray | null;
  ANSWER_IS.lastIndex = 0;
  while ((match = ANSWER_IS.exec(text)) !== null) last = match;
  if (!last) return null;
  let rest = text.slice(last.index + last[0].length, last.index + last[0].length + 500).trim();
  if (rest.startsWith('$$')) {
    const end = rest.indexOf('$$', 2);
    return end > 2 ? rest.slice(2, end).trim() : null;
  }
  if (rest.startsWith('\\[')) {
    const end = rest.indexOf('\\]');
    return end > 2 ? rest.slice(2, end).trim() : null;
  }
  if (rest.startsWith('$')) {
    const end = rest.indexOf('$', 1);
    return end > 1 ? rest.slice(1, end).trim() : null;
  }
  rest = rest.split('\n')[0] ?? '';
  const sentence = /^(.*?)(?:\.\s|\.$|$)/.exec(rest);
  // "The answer is 5 because …": the answer stops before an explaining clause.
  const clause = (sentence?.[1] ?? rest).split(/\s(?:because|since|as|which|so that|when|where)\s/)[0] ?? '';
  const answer = clause.trim().replace(/^\*+|\*+$/g, '').trim().replace(/[.;]+$/, '');
  return answer === '' ? null : answer;
}

function findLastNumber(text: string): string | null {
  const numbers = text.match(/-?\d+(?:,\d{3})*(?:\.\d+)?(?:\/\d+)?/g);
  return numbers ? (numbers[numbers.length - 1] as string) : null;
}

function findChoice(text: string): string | null {
  const letters = text.match(/\(([A-E])\)|\b([A-E])\)|\\textbf\{\(?([A-E])\)?\}/g);
  if (!letters) return null;
  const last = letters[letters.length - 1] as string;
  return /[A-E]/.exec(last)?.[0] ?? null;
}

/**
 * Extract the final answer from a full model response: the last `\boxed{…}`/`\fbox{…}` (nested braces
 * matched; `\boxed 5` too) after the last reasoning marker (`</think>`, `**Final Answer**`,
 * `<conclude>`), else the last "the (final) answer is …", else (when enabled) the last multiple-choice
 * letter or the last number. Never throws; linear time. Responses over `LIMITS.maxResponseChars` are
 * scanned in their last part only.
 */
export function extractAnswer(text: string, options: ExtractOptions = {}): ExtractedAnswer {
  const floor = Math.max(0, text.length - LIMITS.maxResponseChars);
  let scannedFrom = floor;
  let marker: string | null = null;
  for (const candidate of MARKERS) {
    const at = text.lastIndexOf(candidate);
    if (at >= 0 && at + candidate.length > scannedFrom) {
      scannedFrom = at + candidate.length;
      marker = candidate;
    }
  }
  const scanned = text.slice(scannedFrom);
  const empty = { boxedAnswers: [] as string[], conflictingBoxedAnswers: false, marker, scannedFrom };
  const { answers, unclosed } = findBoxed(scanned);
  if (answers.length > 0) {
    // Normalise only distinct raw answers (at most the last 64) so 50,000 boxes stay cheap.
    const distinct = [...new Set(answers)].slice(-64);
    const normalized = distinct.length === 1 ? new Set(distinct) : new Set(distinct.map((a) => (a.length <= LIMITS.maxAnswerChars ? normalizeAnswer(a) : a)));
    return {
      answer: answers[answers.length - 1] as string,
      source: 'boxed',
      boxedAnswers: answers,
      conflictingBoxedAnswers: normalized.size > 1,
      marker,
      scannedFrom,
      ...(unclosed ? { note: 'a later \\boxed{ was never closed' } : {}),
    };
  }
  const answerIs = findAnswerIs(scanned);
  if (answerIs !== null) return { ...empty, answer: answerIs, source: 'answer-is' };
  if (marker === '**Final Answer**') {
    // "**Final Answer**\n$5$": the first non-empty line after the heading is the answer.
    const line = scanned.split('\n').map((l) => l.trim()).find((l) => l !== '' && l !== ':');
    const answer = line?.replace(/^:\s*/, '').replace(/^\$+|\$+$/g, '').replace(/^\\\[|\\\]$/g, '').trim();
    if (answer && answer.length <= LIMITS.maxAnswerChars) return { ...empty, answer, source: 'answer-is' };
  }
  if (options.choiceFallback) {
    const choice = findChoice(scanned);
    if (choice !== null) return { ...empty, answer: choice, source: 'choice' };
  }
  if (options.lastNumberFallback) {
    const number = findLastNumber(scanned);
    if (number !== null) return { ...empty, answer: number, source: 'last-number' };
  }
  return { ...empty, answer: null, source: 'none', note: unclosed ? 'a \\boxed{ was never closed' : 'no \\boxed{}, no "the answer is"' };
}
