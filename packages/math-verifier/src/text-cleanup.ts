/**
 * Character-level clean-up shared by extraction and normalisation: full-width forms, doubly
 * escaped LaTeX. Pure and linear in the text length.
 */

/** Full-width / CJK punctuation that is not in the U+FF01–U+FF5E block (mapped to ASCII). */
const EXTRA_PUNCTUATION: Readonly<Record<string, string>> = {
  '\u3000': ' ', // ideographic space
  '\u3002': '.', // 。
  '\u3001': ',', // 、
  '\u300C': '"',
  '\u300D': '"',
  '\u066A': '%', // Arabic percent sign ٪
  '\u060C': ',', // Arabic comma ،
  '\u061B': ';', // Arabic semicolon ؛
  '\u0964': '.', // Devanagari danda ।
};

/** Digits of other scripts (Arabic-Indic, Extended Arabic-Indic, Devanagari) → ASCII digits. */
const DIGIT_BLOCKS = [0x0660, 0x06f0, 0x0966];

/**
 * Map full-width ASCII forms (`１２`, `（`, `，`, `：`, `＝`), CJK punctuation (`。`, `、`), the
 * Arabic percent sign and non-Latin decimal digits to ASCII. Other characters (superscripts, CJK
 * words) are kept, so unlike NFKC this never turns `x²` into `x2`.
 */
export function toHalfWidth(text: string): string {
  // Fast path: nothing outside ASCII.
  if (!/[^ -~\t\n\r]/.test(text)) return text;
  let out = '';
  for (const c of text) {
    const code = c.codePointAt(0) as number;
    if (code >= 0xff01 && code <= 0xff5e) out += String.fromCharCode(code - 0xfee0);
    else if (EXTRA_PUNCTUATION[c] !== undefined) out += EXTRA_PUNCTUATION[c];
    else {
      const block = DIGIT_BLOCKS.find((start) => code >= start && code <= start + 9);
      out += block === undefined ? c : String(code - block);
    }
  }
  return out;
}

/** Commands whose doubled backslash (`\\frac`) shows the text was escaped twice (JSON, raw strings). */
const ESCAPED_COMMAND =
  /(?<!\\)\\\\(?:d?t?frac|sqrt|left|right|le|ge|leq|geq|neq|ne|cdot|times|pi|text|mathrm|mathbf|infty|pm|mp|boxed|circ|approx|cup|cap|in|sin|cos|tan|log|ln|theta|alpha|beta|begin|end|dots|ldots|cdots|binom|overline|emptyset|varnothing|lt|gt)(?![a-zA-Z])|(?<!\\)\\\\[{}%$]/;

/**
 * Undo one level of backslash escaping when the text shows it (`\\frac{1}{2}` → `\frac{1}{2}`,
 * `\\left( … \\right)`, `\\le`): every `\\` becomes `\` (so a doubly escaped matrix row break
 * `\\\\` becomes `\\`). A text without a doubly escaped command is returned unchanged, so a real
 * matrix row break `1 \\ 2` is kept.
 */
export function unescapeDoubledBackslashes(text: string): string {
  if (!text.includes('\\\\') || !ESCAPED_COMMAND.test(text)) return text;
  return text.replace(/\\\\/g, '\\');
}
