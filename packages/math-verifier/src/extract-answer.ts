import { findCuedAnswer } from './answer-cues';
import { LIMITS } from './limits';
import { normalizeAnswer } from './normalize-answer';
import { toHalfWidth } from './text-cleanup';

/**
 * Which extraction rule found the answer: `boxed` (last `\boxed{}`), `answer-is` (after the last
 * answer cue in any supported language, or the line after a `**Final Answer**` heading), `cue` (after
 * the last "so / hence / thus / 所以 …"), `trailing-equals` (a last line `= 7`), `last-math` (the last
 * `$…$` span of the last sentence), `choice`, `last-number`, or `none`.
 */
export type AnswerSource = 'boxed' | 'answer-is' | 'cue' | 'trailing-equals' | 'last-math' | 'last-number' | 'choice' | 'none';

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
  /**
   * The last boxes written together (`\boxed{(1,4)} \text{ or } \boxed{(5,0)}`: only connectives,
   * commas and spacing between them), when there are at least two; the verifier reads them as one
   * list when the gold is a list or set.
   */
  readonly boxGroup?: readonly string[];
  /** The cue text after which the answer was taken (`Answer:`, `所以`, `=`), for `answer-is` / `cue` / `trailing-equals`. */
  readonly cue?: string;
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
function findBoxed(text: string): { answers: string[]; unclosed: boolean; group: string[] } {
  const answers: string[] = [];
  let groupStart = 0;
  let previousEnd = -1;
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
      const content = text.slice(i + 1, end);
      answers.push(content);
      const gap = previousEnd < 0 ? null : text.slice(previousEnd, match.index);
      if (!(gap !== null && gap.length <= 200 && BOX_GAP.test(gap))) groupStart = answers.length - 1;
      previousEnd = end + 1;
      pattern.lastIndex = end + 1;
    } else {
      // \boxed 5 — one token up to whitespace or `$`.
      const token = /^[^\s$]+/.exec(text.slice(i, i + 200));
      if (token) answers.push(token[0].replace(/[.,;]+$/, ''));
      groupStart = answers.length;
      previousEnd = -1;
    }
  }
  const group = answers.slice(groupStart);
  return { answers, unclosed, group: group.length >= 2 && group.length <= LIMITS.maxItems && previousEnd >= 0 && /^[\s$.]*$/.test(text.slice(previousEnd, previousEnd + 200).replace(/\\\]|\\\)/g, '')) ? group : [] };
}

/** What may stand between boxes that form one answer: spacing, `$`, commas, "or"/"and" (also in `\text{}`). */
const BOX_GAP = /^(?:[\s$,;]|\\[,;!quad ]+|\\text\{\s*(?:or|and|,)\s*\}|\b(?:or|and)\b|\b[a-zA-Z]\s*=|\\quad)*$/;

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
 * `<conclude>`), else the answer after the last answer cue (`Answer:`, "the answer is", `Réponse`,
 * `答案`, `Ответ`, `الإجابة` … — see `answer-cues.ts`), else the line after a `**Final Answer**` heading,
 * else (when enabled) the last multiple-choice letter, else the answer after the last weak cue
 * ("so", "hence", `所以` …), a last line `= 7`, or the last `$…$` span of the last sentence, else (when
 * enabled) the last number. Full-width digits and punctuation are read as ASCII. Never throws;
 * linear time. Responses over `LIMITS.maxResponseChars` are scanned in their last part only.
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
  const scanned = toHalfWidth(text.slice(scannedFrom));
  const empty = { boxedAnswers: [] as string[], conflictingBoxedAnswers: false, marker, scannedFrom };
  const { answers, unclosed, group } = findBoxed(scanned);
  if (answers.length > 0) {
    // Normalise only distinct raw answers (at most the last 64) so 50,000 boxes stay cheap.
    const distinct = [...new Set(answers)].slice(-64);
    const normalized = distinct.length === 1 ? new Set(distinct) : new Set(distinct.map((a) => (a.length <= LIMITS.maxAnswerChars ? normalizeAnswer(a) : a)));
    return {
      answer: answers[answers.length - 1] as string,
      source: 'boxed',
      boxedAnswers: answers,
      conflictingBoxedAnswers: normalized.size > 1,
      ...(group.length >= 2 ? { boxGroup: group } : {}),
      marker,
      scannedFrom,
      ...(unclosed ? { note: 'a later \\boxed{ was never closed' } : {}),
    };
  }
  const cued = findCuedAnswer(scanned);
  if (cued?.rule === 'answer-cue') return { ...empty, answer: cued.answer, source: 'answer-is', cue: cued.cue ?? '' };
  if (marker === '**Final Answer**') {
    // "**Final Answer**\n$5$": the first non-empty line after the heading is the answer.
    const line = scanned.split('\n').map((l) => l.trim()).find((l) => l !== '' && l !== ':');
    const answer = line?.replace(/^:\s*/, '').replace(/^\$+|\$+$/g, '').replace(/^\\\[|\\\]$/g, '').trim();
    if (answer && answer.length <= LIMITS.maxAnswerChars) return { ...empty, answer, source: 'answer-is', cue: marker };
  }
  if (options.choiceFallback) {
    const choice = findChoice(scanned);
    if (choice !== null) return { ...empty, answer: choice, source: 'choice' };
  }
  if (cued) {
    const source: AnswerSource = cued.rule === 'weak-cue' ? 'cue' : cued.rule === 'trailing-equals' ? 'trailing-equals' : 'last-math';
    return { ...empty, answer: cued.answer, source, ...(cued.cue ? { cue: cued.cue } : {}) };
  }
  if (options.lastNumberFallback) {
    const number = findLastNumber(scanned);
    if (number !== null) return { ...empty, answer: number, source: 'last-number' };
  }
  return { ...empty, answer: null, source: 'none', note: unclosed ? 'a \\boxed{ was never closed' : 'no \\boxed{}, no answer cue, no maths span in the last sentence' };
}
