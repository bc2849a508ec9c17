/**
 * Answer cues and the answer span after them: "Answer: $14$", "Hence $y \le 3$ is the solution
 * set.", "Final Answer: The smallest $k$ is 12.", "所以答案是 14。", "La réponse est 7.", a trailing
 * `= 7` line, and (without any cue) the last maths span of the last sentence.
 */
import { LIMITS } from './limits';

/**
 * Strong cues name the answer ("answer", "réponse", "答案" …); the last one wins. Weak cues
 * ("so", "hence", "thus", "所以" …) are used only when no strong cue yields an answer.
 */
const STRONG_CUE =
  /(?:\*\*)?(?:final answer|the answer|answer|la r[ée]ponse(?: finale)?|r[ée]ponse(?: finale)?|la respuesta(?: final)?|respuesta(?: final)?|die antwort|antwort|ответ|الإجابة|الجواب|उत्तर|最终答案|答案|答え|解答)(?:\*\*)?\s*(?:is|are|est|es|ist|lautet|是|为|為|は|:|：)\s*(?:\*\*)?\s*:?\s*(?:\*\*)?\s*/giu;
const WEAK_CUE =
  /(?:(?:^|[\s,.;:(>*])(?:therefore|hence|thus|so|consequently|donc|ainsi|por lo tanto|por tanto|entonces|daher|somit|итак|следовательно|таким образом|لذلك|إذن|अतः|इसलिए)(?=[\s,:$\\])|所以|因此|故|よって|したがって)[,:，]?\s*/giu;

const CONNECTOR = /\s(?:is|are|equals|est|es|ist|sind|равно|равен|है|हैं)\s|\s*(?:是|为|為|は)\s*/u;
/** Words that join solutions: a number before them is not "a number followed by a unit". */
const LIST_WORDS = /(?:^|\s)(?:and|or|et|ou|y|o|und|oder|и|или|و|أو|और|या)(?:\s|$)|和|或|及|と|または/iu;

/** Where a span of maths begins: `$$`, `$`, `\[`, `\(`. */
function mathSpan(text: string): { content: string; end: number } | null {
  for (const [open, close] of [['$$', '$$'], ['\\[', '\\]'], ['$', '$'], ['\\(', '\\)']] as const) {
    if (text.startsWith(open)) {
      const end = text.indexOf(close, open.length);
      if (end <= open.length) return null;
      return { content: text.slice(open.length, end).trim(), end: end + close.length };
    }
  }
  return null;
}

/** End of the sentence starting at 0: `. ` / `.\n` / `。` / a blank line, not inside `$…$`; a decimal point is no end. */
function sentenceEnd(text: string): number {
  let inMath = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && (text[i + 1] === '[' || text[i + 1] === '(')) inMath = true;
    else if (c === '\\' && (text[i + 1] === ']' || text[i + 1] === ')')) inMath = false;
    else if (c === '$') inMath = !inMath;
    if (inMath) continue;
    if (c === '\n' && (text[i + 1] === '\n' || i > 0)) return i;
    if ((c === '.' || c === '!' || c === '?' || c === '。' || c === '।') && !/\d/.test(text[i + 1] ?? '')) return i;
  }
  return text.length;
}

/** `14 apples`, `14 €`, `14 个苹果`, `12 square meters` → `14`: a number followed only by words. */
function numberBeforeWords(text: string): string | null {
  const match = /^(-?\d+(?:[.,]\d+)?(?:\/\d+)?)\s*(?:[\p{L}\p{M}\s.'’€£¥₹₽$]+)$/u.exec(text);
  return match && !LIST_WORDS.test(text) ? (match[1] as string) : null;
}

/**
 * The answer in the text that follows a cue: a leading maths span; else the part after the last
 * connector (`is`, `=`, `est`, `是` …) of the sentence; else the whole (short) sentence. `null` when
 * the sentence has neither maths nor a number.
 */
export function answerAfterCue(rest: string): string | null {
  let text = rest.slice(0, 600).replace(/^[\s*:_]+/, '');
  const leading = mathSpan(text);
  if (leading) {
    if (leading.content === '') return null;
    // `$x=-1$, $x=1$ or $x=2$`: spans joined by commas or list words form one list.
    const more = /^(?:\s*(?:,|;|\s(?:or|and|et|ou|y|o|und|oder|или|и)\s|或|和|及)\s*\$[^$]+\$)+/iu.exec(text.slice(leading.end));
    if (!more) return leading.content;
    const contents = [leading.content, ...[...more[0].matchAll(/\$([^$]+)\$/g)].map((m) => (m[1] as string).trim())];
    return contents.join(', ');
  }
  text = text.slice(0, sentenceEnd(text)).replace(/\*+/g, '').trim();
  // "The answer is 5 because …": the answer stops before an explaining clause.
  text = (text.split(/\s(?:because|since|as|which|so that|when|where|car|porque|weil|так как|因为)\s/u)[0] ?? '').trim();
  const parts = text.split(CONNECTOR);
  if (parts.length > 1) {
    const last = (parts[parts.length - 1] as string).trim();
    const span = mathSpan(last);
    if (span) return span.content;
    if (last !== '') text = last;
  }
  const inner = mathSpan(text);
  if (inner && inner.end >= text.length - 1) return inner.content;
  // Maths somewhere in the sentence: its last span ("Hence the value is, at most, $4$").
  const spans = [...text.matchAll(/\$([^$]+)\$|\\\(([\s\S]+?)\\\)/g)];
  if (spans.length > 0) {
    const lastSpan = spans[spans.length - 1] as RegExpMatchArray;
    return ((lastSpan[1] ?? lastSpan[2]) as string).trim();
  }
  text = text.replace(/[.;,]+$/, '').trim();
  const number = numberBeforeWords(text);
  if (number) return number;
  if (text === '' || text.length > LIMITS.maxAnswerChars) return null;
  // Plain text after a strong cue ("Answer: C", "Answer: Tuesday") is kept; it must be short.
  return text.split(/\s+/).length <= 12 ? text : null;
}

/** A cue occurrence: its text and where the answer text starts. */
interface Cue {
  readonly cue: string;
  readonly start: number;
}

function cues(text: string, pattern: RegExp): Cue[] {
  const found: Cue[] = [];
  pattern.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    found.push({ cue: match[0].trim(), start: match.index + match[0].length });
    if (match[0].length === 0) pattern.lastIndex++;
  }
  return found;
}

/** Result of `findCuedAnswer`. */
export interface CuedAnswer {
  readonly answer: string;
  readonly rule: 'answer-cue' | 'weak-cue' | 'trailing-equals' | 'last-math-span';
  readonly cue: string | null;
}

/**
 * The answer after the last strong cue (that yields one), else the last weak cue, else a trailing
 * line starting with `=` (`= 7`), else the last maths span (`$…$`, `\(…\)`, `\[…\]`) of the last
 * sentence. Plain text without maths delimiters and without a cue yields nothing.
 */
export function findCuedAnswer(text: string): CuedAnswer | null {
  for (const [pattern, rule] of [[STRONG_CUE, 'answer-cue'], [WEAK_CUE, 'weak-cue']] as const) {
    const found = cues(text, pattern);
    for (let k = found.length - 1; k >= 0 && k >= found.length - 8; k--) {
      const cue = found[k] as Cue;
      const answer = answerAfterCue(text.slice(cue.start));
      if (answer === null) continue;
      // Weak cues ("so we are done") need maths or a number.
      if (rule === 'weak-cue' && !/[\d\\^=<>]|^\(?[A-E]\)?$/.test(answer)) continue;
      return { answer, rule, cue: cue.cue };
    }
  }
  const trimmed = text.trimEnd();
  const lines = trimmed.split('\n');
  const lastLine = (lines[lines.length - 1] ?? '').trim();
  if (lines.length >= 2) {
    const equals = /^\$*\s*=\s*([^=$]+?)\s*\$*\.?$/.exec(lastLine);
    if (equals && (equals[1] as string).trim() !== '') return { answer: (equals[1] as string).trim(), rule: 'trailing-equals', cue: '=' };
  }
  // The last sentence: from the previous sentence end (not inside maths) to the end.
  const tail = trimmed.slice(-2000);
  let sentenceStart = 0;
  let inMath = false;
  for (let i = 0; i < tail.length - 1; i++) {
    const c = tail[i];
    if (c === '$') inMath = !inMath;
    else if (c === '\\' && (tail[i + 1] === '[' || tail[i + 1] === '(')) inMath = true;
    else if (c === '\\' && (tail[i + 1] === ']' || tail[i + 1] === ')')) inMath = false;
    else if (!inMath && ((/[.!?。]/.test(c as string) && /\s/.test(tail[i + 1] ?? '')) || (c === '\n' && tail[i + 1] === '\n'))) sentenceStart = i + 1;
  }
  const sentence = tail.slice(sentenceStart);
  const spans = [...sentence.matchAll(/\$\$([\s\S]+?)\$\$|\$([^$]+)\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)/g)];
  if (spans.length === 0) return null;
  const last = spans[spans.length - 1] as RegExpMatchArray;
  // A standalone span ends the sentence: only punctuation may follow it.
  if (!/^[\s.!?。]*$/.test(sentence.slice((last.index ?? 0) + last[0].length))) return null;
  const answer = (last[1] ?? last[2] ?? last[3] ?? last[4] ?? '').trim();
  return answer === '' ? null : { answer, rule: 'last-math-span', cue: null };
}
