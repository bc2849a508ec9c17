import { LIMITS } from './limits';
import { toHalfWidth, unescapeDoubledBackslashes } from './text-cleanup';

/** What normalisation learnt about an answer besides its canonical text. */
export interface NormalizedAnswer {
  /** Canonical LaTeX-ish text (no spaces except after a command before a letter). */
  readonly text: string;
  /** The answer carried a percent sign (`50\%`, `50%`). */
  readonly percent: boolean;
  /** The whole answer was text (`\text{east}`, `\mathrm{Evelyn}`): compare as words. */
  readonly isText: boolean;
  /**
   * The physical or currency unit dropped after a value, canonical (`cm^2`, `m`, `h`, `dollar`), or
   * `null` when none was written or the word is not a known unit (`\text{ apples}` is dropped but not kept).
   */
  readonly unit: string | null;
}

/** Spellings of known units → one canonical name (singular, abbreviation where one is usual). */
const UNIT_NAMES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(?:mm|millimet(?:er|re)s?)$/, 'mm'],
  [/^(?:cm|centimet(?:er|re)s?)$/, 'cm'],
  [/^(?:km|kilomet(?:er|re)s?)$/, 'km'],
  [/^(?:m|met(?:er|re)s?)$/, 'm'],
  [/^(?:in|inch(?:es)?)$/, 'in'],
  [/^(?:ft|feet|foot)$/, 'ft'],
  [/^(?:yd|yards?)$/, 'yd'],
  [/^(?:mi|miles?)$/, 'mi'],
  [/^(?:mg|milligrams?)$/, 'mg'],
  [/^(?:g|grams?)$/, 'g'],
  [/^(?:kg|kilograms?)$/, 'kg'],
  [/^(?:lbs?|pounds?)$/, 'lb'],
  [/^(?:oz|ounces?)$/, 'oz'],
  [/^(?:s|secs?|seconds?)$/, 's'],
  [/^(?:min|mins|minutes?)$/, 'min'],
  [/^(?:h|hrs?|hours?)$/, 'h'],
  [/^days?$/, 'day'],
  [/^weeks?$/, 'week'],
  [/^months?$/, 'month'],
  [/^years?$/, 'year'],
  [/^(?:ml|millilit(?:er|re)s?)$/, 'ml'],
  [/^(?:l|lit(?:er|re)s?)$/, 'l'],
  [/^cents?$/, 'cent'],
  [/^dollars?$/, 'dollar'],
  [/^euros?$/, 'euro'],
  [/^(?:mph|miles per hour)$/, 'mph'],
  [/^(?:km\/h|kph|kilomet(?:er|re)s per hour)$/, 'km/h'],
  [/^(?:m\/s|met(?:er|re)s per second)$/, 'm/s'],
];

/**
 * Canonical unit of a unit phrase (`square meters` → `m^2`, `cm^2` → `cm^2`, `sq. ft` → `ft^2`), or
 * `null` when the phrase is not a known unit. Degrees are not units here (they are always dropped).
 */
export function canonicalUnit(phrase: string, power = ''): string | null {
  let text = phrase.trim().toLowerCase().replace(/\.$/, '').replace(/\s+/g, ' ');
  const exponent = /\^?\s*\{?([23])\}?$|([²³])$/.exec(text);
  let order = exponent ? (exponent[1] ?? (exponent[2] === '²' ? '2' : '3')) : (/^\^?\s*\{?([23])\}?$/.exec(power.trim())?.[1] ?? '');
  if (exponent) text = text.slice(0, exponent.index).trim();
  const prefix = /^(square|sq\.?|cubic)\s+/.exec(text);
  if (prefix) {
    order = prefix[1] === 'cubic' ? '3' : '2';
    text = text.slice(prefix[0].length);
  }
  const name = UNIT_NAMES.find(([pattern]) => pattern.test(text))?.[1];
  if (name === undefined) return null;
  return order ? `${name}^${order}` : name;
}

const TEXT_COMMANDS = /\\(?:text|textbf|textit|textrm|textsf|texttt|mathrm|mathbf|mathit|mathsf|mbox|hbox|operatorname|boldsymbol|bm)\s*\{/g;

/** Find the index of the `}` closing the group that starts right after `open` (the `{`). */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Replace every `\text{…}`-like command by `render(content)`, innermost handled by recursion. */
function mapTextCommands(text: string, render: (content: string, before: string) => string): string {
  let out = '';
  let last = 0;
  TEXT_COMMANDS.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = TEXT_COMMANDS.exec(text)) !== null) {
    const open = match.index + match[0].length - 1;
    const close = closingBrace(text, open);
    if (close < 0) break;
    out += text.slice(last, match.index);
    out += render(text.slice(open + 1, close), out);
    last = close + 1;
    TEXT_COMMANDS.lastIndex = close + 1;
  }
  return out + text.slice(last);
}

/** A number followed by a unit written without `\text` (`12 square meters`, `5 cm^2`, `3 hours`). */
const UNIT_TAIL =
  /^(-?[\d.,]*\d|-?\\frac\{\d+\}\{\d+\})\s*((?:(?:square|sq\.?|cubic)\s+)?(?:cm|mm|km|m|in|inch(?:es)?|ft|feet|foot|yards?|yd|miles?|mi|meters?|metres?|centimeters?|centimetres?|kilometers?|kilometres?|millimeters?|g|kg|grams?|kilograms?|lbs?|pounds?|ounces?|oz|s|sec|seconds?|min|minutes?|h|hrs?|hours?|days?|weeks?|months?|years?|l|ml|liters?|litres?|units?|cents?|dollars?|euros?|mph|km\/h|m\/s|degrees?)(?:\s*\^\s*\{?[23]\}?|²|³)?)\.?$/i;

const UNIT_WORD = /^[\s.]*[a-zA-Z][a-zA-Z.\s]*(?:\^?\d)?[\s.]*$/;
const CONNECTIVES = /^\s*(?:or|and|,)\s*$/i;

/** Unwrap a brace group argument of a one-letter `\frac`/`\sqrt` shorthand. */
function expandShorthands(text: string): string {
  // \frac12 → \frac{1}{2}; \frac 34; \frac9{19}; \frac{270}7; \frac\pi2
  let previous = '';
  let guard = 0;
  while (previous !== text && guard++ < 4) {
    previous = text;
    text = text.replace(/\\frac\s*([0-9a-zA-Z])\s*([0-9a-zA-Z])/g, '\\frac{$1}{$2}');
    text = text.replace(/\\frac\s*([0-9a-zA-Z])\s*\{/g, '\\frac{$1}{');
    text = text.replace(/\\frac\s*(\{[^{}]*\})\s*([0-9a-zA-Z])/g, '\\frac$1{$2}');
    text = text.replace(/\\frac\s*(\\[a-zA-Z]+)\s*(\\[a-zA-Z]+|[0-9a-zA-Z])/g, '\\frac{$1}{$2}');
    text = text.replace(/\\frac\s*(\{[^{}]*\})\s*(\\[a-zA-Z]+)/g, '\\frac$1{$2}');
    text = text.replace(/\\sqrt\s*([0-9a-zA-Z])/g, '\\sqrt{$1}');
    text = text.replace(/\\sqrt\s*(\\[a-zA-Z]+)/g, '\\sqrt{$1}');
  }
  return text;
}

/**
 * Canonical form of an answer for comparison, plus flags. Steps (order matters):
 * `$` and `\$` dropped; `\left`/`\right`/`\displaystyle`/spacing commands dropped; `\dfrac`/`\tfrac`
 * → `\frac`; `\frac12` → `\frac{1}{2}`, `\sqrt3` → `\sqrt{3}`; degrees (`^\circ`, `°`, `\text{
 * degrees}`) dropped; `\%` recorded in `percent` and dropped; `\text{…}` units after a value dropped,
 * `\text{ or }` / `\text{ and }` become commas, a whole-text answer keeps its words (`isText`);
 * thousands separators removed only where unambiguous (`10,\!080`, `1{,}000`, a lone `58,500`);
 * a trailing period dropped; all remaining whitespace removed except between a command and a letter.
 */
export function normalizeAnswerDetailed(input: string): NormalizedAnswer {
  if (input.length > LIMITS.maxAnswerChars * 4) return { text: input.trim(), percent: false, isText: false, unit: null };
  let unit: string | null = null;
  let unitWord: string | null = null;
  let text = unescapeDoubledBackslashes(toHalfWidth(input)).trim().replace(/\.+$/, '');
  // A boxed answer inside an answer (`\[ \boxed{4096} \]`): its content.
  const boxed = /^[\s$]*(?:\\\[)?[\s$]*\\boxed\s*\{([\s\S]*)\}[\s$.]*(?:\\\])?[\s$.]*$/.exec(text);
  if (boxed && !/\\boxed/.test(boxed[1] as string)) text = (boxed[1] as string).trim();
  // `\frac{\sqrt2}{4} \approx 0.354`: the exact value before `\approx` (after it when the left is a bare name).
  const approx = text.split(/\\approx(?![a-zA-Z])|≈/);
  if (approx.length > 1) {
    const before = (approx[0] as string).trim();
    text = before === '' || /^[a-zA-Z]$/.test(before) ? (approx[approx.length - 1] as string).trim() : before.replace(/=\s*$/, '').trim();
  }
  // Percent and unit words written without \text: `40 pct`, `40 per cent`, `12 square meters`, `5 cm^2`.
  text = text.replace(/^(-?[\d.,]*\d)\s*(?:pct|per\s?cent|percent|pourcent|prozent|por\s?ciento|процент(?:ов|а)?|प्रतिशत|بالمائة)\.?$/iu, '$1\\%');
  text = text.replace(UNIT_TAIL, (_match, value: string, phrase: string) => {
    unit = canonicalUnit(phrase);
    return value;
  });
  // Dollar signs: math delimiters and currency.
  text = text.replace(/\\\$/g, '').replace(/\$/g, '');
  text = text.replace(/\\(?:displaystyle|textstyle|scriptstyle)/g, '');
  text = text.replace(/\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![a-zA-Z])(?:\s*\.(?!\d))?/g, '');
  // Thousands separators written with thin spaces: 10,\!080 and 1{,}000.
  text = text.replace(/(\d),\\[!,]\s*(?=\d{3})/g, '$1').replace(/(\d)\{,\}(?=\d{3})/g, '$1');
  text = text.replace(/(?<!\\)\\(?:[!,;:> ]|quad(?![a-zA-Z])|qquad(?![a-zA-Z]))|~/g, ' ');
  text = text.replace(/\\[dt]frac/g, '\\frac').replace(/\\[dt]binom/g, '\\binom').replace(/\\cfrac/g, '\\frac');
  // Degrees.
  text = text.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°|\\degree|\\circ(?![a-zA-Z])/g, '');
  text = text.replace(/\\text\s*\{\s*(?:degrees?|deg)\s*\}/g, '');
  // Percent.
  let percent = false;
  text = text.replace(/\\%|%|\\text\s*\{\s*percent\s*\}|\\percent|\s*\bpercent\b/g, () => {
    percent = true;
    return '';
  });
  text = text.trim();
  // Whole-answer text: \text{east}, \textbf{(C)}.
  const whole = /^\\(?:text|textbf|textit|textrm|mathrm|mbox|textsf|mathbf)\s*\{([^{}]*)\}\.?$/.exec(text);
  // `\text{12 cm}`: a number with a unit inside the text command is the number.
  const numberWithUnit = whole ? /^\s*(-?\d[\d,]*(?:\.\d+)?)\s*([a-zA-Z][a-zA-Z .]*)$/.exec(whole[1] ?? '') : null;
  if (numberWithUnit) return { ...normalizeAnswerDetailed(numberWithUnit[1] ?? ''), unit: canonicalUnit(numberWithUnit[2] ?? '') };
  if (whole && /[a-zA-Z]/.test(whole[1] ?? '') && !/\\/.test(whole[1] ?? '')) {
    const words = (whole[1] ?? '').trim().replace(/\s+/g, ' ').replace(/\.$/, '');
    if (/^\(?[A-Za-z]\)?$/.test(words)) return { text: words.replace(/[()]/g, '').toUpperCase(), percent, isText: true, unit: null };
    return { text: words.toLowerCase(), percent, isText: true, unit: null };
  }
  // \text{…} inside an answer: connectives → comma, units / words after a value → dropped.
  text = mapTextCommands(text, (content, before) => {
    if (CONNECTIVES.test(content)) return ',';
    // A unit follows a value (`15 \text{cm}`, `\pi\text{ m}`), not a relation or a comma.
    if (/[\w})\]]\s*$/.test(before) && UNIT_WORD.test(content)) {
      unitWord = content;
      unit = canonicalUnit(content);
      return ' ';
    }
    return content;
  });
  // Solutions joined by words: `(2,9) or (9,2)`, `x = 1 and x = 3`, `3, 8, and 15`, `x=1 或 x=3`.
  text = text.replace(/(?<=[\w)\]}.])\s*,?\s+(?:and|or|et|ou|und|oder|y|o|и|или)\s+(?=[-\w([\\])|\s*(?:或|和|及|或者)\s*/giu, (match, offset: number, whole: string) =>
    /[a-zA-Z]{3,}\s*$/.test(whole.slice(Math.max(0, offset - 12), offset)) && !/\\[a-zA-Z]+\s*$/.test(whole.slice(0, offset)) && !/[=\d)]/.test(whole.slice(Math.max(0, offset - 12), offset)) ? match : ',');
  // Units left with a power after them (`\text{ cm}^2` → `^2`).
  text = text.replace(/\s\^\s*\{?\d\}?\s*$/g, (power) => {
    if (unitWord !== null) unit = canonicalUnit(unitWord, power);
    return '';
  });
  text = text.replace(/\\(?:mathbb|mathcal)\s*\{\s*R\s*\}/g, '\\mathbb{R}');
  text = text.replace(/\\(?:lbrace)/g, '\\{').replace(/\\(?:rbrace)/g, '\\}');
  text = text.replace(/\\[lr]vert|\\vert|\\mid/g, '|').replace(/\\[lr]Vert/g, '|');
  text = text.replace(/\\leqslant|\\leq|\\le(?![a-zA-Z])|≤/g, '\\le ').replace(/\\geqslant|\\geq|\\ge(?![a-zA-Z])|≥/g, '\\ge ');
  text = text.replace(/\\neq|\\ne(?![a-zA-Z])|≠/g, '\\ne ');
  text = text.replace(/\\varnothing/g, '\\emptyset').replace(/\\infinity|∞/g, '\\infty').replace(/\\colon/g, ':');
  text = text.replace(/\\(?:times|cdot|ast)(?![a-zA-Z])/g, '*').replace(/×|·/g, '*');
  text = text.replace(/\\div(?![a-zA-Z])|÷/g, '/').replace(/−/g, '-').replace(/π/g, '\\pi').replace(/√(\d+|[a-zA-Z])/g, '\\sqrt{$1}');
  text = text.replace(/\\dots|\\ldots|\\cdots/g, '\\dots');
  text = expandShorthands(text);
  // Spaces: keep one only where removing it would glue a command to a following letter.
  text = text.replace(/(\\[a-zA-Z]+)\s+(?=[a-zA-Z])|\s+/g, (_match, command: string | undefined) => (command === undefined ? '' : `${command} `));
  // `x\in[-2,7]` → `[-2,7]`.
  text = text.replace(/^[a-zA-Z]\\in(?![a-zA-Z])/, '');
  text = text.replace(/\.+$/, '').replace(/^\\\(|\\\)$/g, '');
  text = text.replace(/,$/, '');
  // A lone number with comma thousands separators: 58,500 / 1,000,000.
  if (/^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(text)) text = text.replace(/,/g, '');
  // Trailing units written without \text after a number: `15 cm` was `15cm` (only common units).
  text = text.replace(/^(-?[\d.]+)((?:cm|m|km|mm|inches|inch|in|ft|feet|units|cents|dollars|degrees|mph|sq\.?units)(?:\^\{?\d\}?)?)$/, (_match, value: string, phrase: string) => {
    unit = canonicalUnit(phrase);
    return value;
  });
  return { text, percent, isText: false, unit };
}

/** Canonical text of an answer (see `normalizeAnswerDetailed` for every step). */
export function normalizeAnswer(text: string): string {
  const normalized = normalizeAnswerDetailed(text);
  return normalized.text + (normalized.percent ? '%' : '');
}
