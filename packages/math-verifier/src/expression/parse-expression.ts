import { LIMITS } from '../limits';
import { parseDecimal, rational, type Rational } from '../rational';
import { ExpressionParseError, type Expression } from './ast';

type Token =
  | { readonly kind: 'number'; readonly value: Rational; readonly integer: boolean }
  | { readonly kind: 'letter'; readonly text: string }
  | { readonly kind: 'command'; readonly name: string }
  | { readonly kind: 'symbol'; readonly text: string };

const FUNCTIONS = new Set([
  'sin', 'cos', 'tan', 'cot', 'sec', 'csc', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'tanh',
  'ln', 'log', 'exp', 'lg',
]);
const GREEK = new Set([
  'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'varepsilon', 'zeta', 'eta', 'theta', 'vartheta', 'iota', 'kappa',
  'lambda', 'mu', 'nu', 'xi', 'rho', 'sigma', 'tau', 'upsilon', 'phi', 'varphi', 'chi', 'psi', 'omega',
  'Delta', 'Theta', 'Lambda', 'Xi', 'Sigma', 'Phi', 'Psi', 'Omega',
]);

/** Split normalised answer text into tokens; throws `ExpressionParseError` on anything unknown. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const scientific = /^([+-]?\d*\.?\d+)[eE]([+-]?\d{1,4})$/.exec(text);
  if (scientific) {
    const mantissa = parseDecimal(scientific[1] ?? '');
    const exponent = Number(scientific[2]);
    if (mantissa) {
      const scale = 10n ** BigInt(Math.abs(exponent));
      const value = exponent >= 0 ? rational(mantissa.n * scale, mantissa.d) : rational(mantissa.n, mantissa.d * scale);
      if (value) return [{ kind: 'number', value, integer: value.d === 1n }];
    }
  }
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ') {
      i++;
      continue;
    }
    if ((c >= '0' && c <= '9') || (c === '.' && /\d|\\overline/.test(text.slice(i + 1, i + 10)))) {
      const match = /^(\d*)(\.\d*)?/.exec(text.slice(i)) as RegExpExecArray;
      let literal = match[0];
      i += literal.length;
      let repeating = '';
      const overline = /^\\overline\{(\d+)\}/.exec(text.slice(i));
      if (overline && literal.includes('.')) {
        repeating = overline[1] ?? '';
        i += overline[0].length;
      }
      if (literal === '.') literal = '0.';
      const value = parseDecimal(literal, repeating);
      if (!value) throw new ExpressionParseError(`bad number '${literal}'`);
      tokens.push({ kind: 'number', value, integer: !literal.includes('.') });
      continue;
    }
    if (c === '\\') {
      const match = /^\\([a-zA-Z]+|.)/.exec(text.slice(i));
      if (!match) throw new ExpressionParseError('dangling backslash');
      tokens.push({ kind: 'command', name: match[1] as string });
      i += match[0].length;
      continue;
    }
    if (/[a-zA-Z]/.test(c)) {
      tokens.push({ kind: 'letter', text: c });
      i++;
      continue;
    }
    if ('+-*/^_()[]{}|!\''.includes(c)) {
      tokens.push({ kind: 'symbol', text: c });
      i++;
      continue;
    }
    throw new ExpressionParseError(`unexpected character '${c}'`);
  }
  return tokens;
}

const isSymbol = (token: Token | undefined, text: string): boolean => token?.kind === 'symbol' && token.text === text;
const isCommand = (token: Token | undefined, name: string): boolean => token?.kind === 'command' && token.name === name;

class Parser {
  private position = 0;
  private depth = 0;
  private absoluteDepth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parse(): Expression {
    const expression = this.parseSum();
    if (this.position < this.tokens.length) throw new ExpressionParseError(`unexpected token at ${this.position}`);
    return expression;
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.position + offset];
  }

  private next(): Token {
    const token = this.tokens[this.position++];
    if (!token) throw new ExpressionParseError('unexpected end');
    return token;
  }

  private expectSymbol(text: string): void {
    if (!isSymbol(this.next(), text)) throw new ExpressionParseError(`expected '${text}'`);
  }

  private enter(): void {
    if (++this.depth > LIMITS.maxNestingDepth) throw new ExpressionParseError('nesting too deep');
  }

  private parseSum(): Expression {
    this.enter();
    const terms: Expression[] = [this.parseSigned()];
    for (;;) {
      const token = this.peek();
      if (isSymbol(token, '+')) {
        this.position++;
        terms.push(this.parseSigned());
      } else if (isSymbol(token, '-')) {
        this.position++;
        terms.push({ type: 'negate', argument: this.parseSigned() });
      } else break;
    }
    this.depth--;
    return terms.length === 1 ? (terms[0] as Expression) : { type: 'add', terms };
  }

  private parseSigned(): Expression {
    const token = this.peek();
    if (isSymbol(token, '-')) {
      this.position++;
      return { type: 'negate', argument: this.parseSigned() };
    }
    if (isSymbol(token, '+')) {
      this.position++;
      return this.parseSigned();
    }
    return this.parseProduct();
  }

  private startsFactor(token: Token | undefined): boolean {
    if (!token) return false;
    if (token.kind === 'number' || token.kind === 'letter') return true;
    if (token.kind === 'command') return !['pm', 'mp', 'le', 'ge', 'ne', 'cup', 'cap', 'in', 'dots', 'right', 'rfloor', 'rceil'].includes(token.name);
    if (token.kind === 'symbol') return token.text === '(' || token.text === '[' || token.text === '{' || (token.text === '|' && this.absoluteDepth === 0);
    return false;
  }

  private parseProduct(): Expression {
    const first = this.parsePower();
    const factors: Expression[] = [first];
    // Mixed number: `137\frac{1}{2}` is 137 + 1/2.
    if (first.type === 'number' && first.value.d === 1n && first.value.n >= 0n && isCommand(this.peek(), 'frac')) {
      const save = this.position;
      const fraction = this.parsePower();
      if (
        fraction.type === 'divide' &&
        fraction.numerator.type === 'number' &&
        fraction.denominator.type === 'number' &&
        fraction.numerator.value.d === 1n &&
        fraction.denominator.value.d === 1n &&
        fraction.numerator.value.n > 0n &&
        fraction.numerator.value.n < fraction.denominator.value.n &&
        !this.startsFactor(this.peek())
      ) {
        return { type: 'add', terms: [first, fraction] };
      }
      this.position = save;
    }
    for (;;) {
      const token = this.peek();
      if (isSymbol(token, '*')) {
        this.position++;
        factors.push(this.parseSignedFactor());
      } else if (isSymbol(token, '/')) {
        this.position++;
        const denominator = this.parseSignedFactor();
        const numerator: Expression = factors.length === 1 ? (factors[0] as Expression) : { type: 'multiply', factors: factors.splice(0) };
        factors.length = 0;
        factors.push({ type: 'divide', numerator, denominator });
      } else if (this.startsFactor(token)) {
        factors.push(this.parsePower());
      } else break;
    }
    return factors.length === 1 ? (factors[0] as Expression) : { type: 'multiply', factors };
  }

  private parseSignedFactor(): Expression {
    if (isSymbol(this.peek(), '-')) {
      this.position++;
      return { type: 'negate', argument: this.parseSignedFactor() };
    }
    return this.parsePower();
  }

  private parsePower(): Expression {
    this.enter();
    let base = this.parsePostfix();
    if (isSymbol(this.peek(), '^')) {
      this.position++;
      const exponent = this.parseScript();
      base = { type: 'power', base, exponent };
      if (isSymbol(this.peek(), '!')) {
        this.position++;
        base = { type: 'function', name: 'factorial', args: [base] };
      }
    }
    this.depth--;
    return base;
  }

  /** A super/subscript: a braced group, a single digit, a letter or a command atom. */
  private parseScript(): Expression {
    const token = this.peek();
    if (isSymbol(token, '{')) return this.parseBraced();
    if (isSymbol(token, '-')) {
      this.position++;
      return { type: 'negate', argument: this.parseScript() };
    }
    if (token?.kind === 'number' && token.integer) {
      // LaTeX takes one character: x^23 is x^2 · 3.
      const digits = token.value.n.toString();
      if (digits.length > 1) {
        this.position++;
        const rest = digits.slice(1);
        (this.tokens as Token[]).splice(this.position, 0, { kind: 'number', value: { n: BigInt(rest), d: 1n }, integer: true });
        return { type: 'number', value: { n: BigInt(digits[0] as string), d: 1n } };
      }
    }
    return this.parsePrimary();
  }

  private parseBraced(): Expression {
    this.expectSymbol('{');
    const inner = this.parseSum();
    this.expectSymbol('}');
    return inner;
  }

  private parsePostfix(): Expression {
    let expression = this.parsePrimary();
    while (isSymbol(this.peek(), '!')) {
      this.position++;
      expression = { type: 'function', name: 'factorial', args: [expression] };
    }
    return expression;
  }

  private parsePrimary(): Expression {
    this.enter();
    const token = this.next();
    let result: Expression;
    if (token.kind === 'number') result = { type: 'number', value: token.value };
    else if (token.kind === 'letter') result = this.parseVariable(token.text);
    else if (token.kind === 'symbol') {
      if (token.text === '(' || token.text === '[') {
        const inner = this.parseSum();
        this.expectSymbol(token.text === '(' ? ')' : ']');
        result = inner;
      } else if (token.text === '{') {
        const inner = this.parseSum();
        this.expectSymbol('}');
        result = inner;
      } else if (token.text === '|') {
        this.absoluteDepth++;
        const inner = this.parseSum();
        this.absoluteDepth--;
        this.expectSymbol('|');
        result = { type: 'function', name: 'abs', args: [inner] };
      } else throw new ExpressionParseError(`unexpected '${token.text}'`);
    } else result = this.parseCommand(token.name);
    this.depth--;
    return result;
  }

  private parseVariable(letter: string): Expression {
    if (letter === 'i' && !isSymbol(this.peek(), '_')) return { type: 'constant', name: 'i' };
    if (letter === 'e' && !isSymbol(this.peek(), '_')) return { type: 'constant', name: 'e' };
    let name = letter;
    if (isSymbol(this.peek(), '_')) {
      this.position++;
      const sub = this.next();
      if (sub.kind === 'symbol' && sub.text === '{') {
        let text = '';
        while (!isSymbol(this.peek(), '}')) {
          const t = this.next();
          text += t.kind === 'number' ? t.value.n.toString() : t.kind === 'letter' ? t.text : t.kind === 'command' ? t.name : t.text;
        }
        this.position++;
        name += `_${text}`;
      } else if (sub.kind === 'number' || sub.kind === 'letter') {
        name += `_${sub.kind === 'number' ? sub.value.n.toString() : sub.text}`;
      } else throw new ExpressionParseError('bad subscript');
    }
    return { type: 'variable', name };
  }

  private parseCommand(name: string): Expression {
    switch (name) {
      case 'frac': {
        const numerator = this.parseBraced();
        const denominator = this.parseBraced();
        return { type: 'divide', numerator, denominator };
      }
      case 'binom': {
        const n = this.parseBraced();
        const k = this.parseBraced();
        return { type: 'function', name: 'binom', args: [n, k] };
      }
      case 'sqrt': {
        if (isSymbol(this.peek(), '[')) {
          this.position++;
          const index = this.parseSum();
          this.expectSymbol(']');
          const radicand = this.parseBraced();
          return { type: 'function', name: 'root', args: [radicand, index] };
        }
        return { type: 'function', name: 'sqrt', args: [this.parseBraced()] };
      }
      case 'pi':
        return { type: 'constant', name: 'pi' };
      case 'infty':
        return { type: 'constant', name: 'infinity' };
      case 'lfloor':
      case 'lceil': {
        const inner = this.parseSum();
        const close = this.next();
        if (close.kind !== 'command' || close.name !== (name === 'lfloor' ? 'rfloor' : 'rceil')) throw new ExpressionParseError('unclosed floor/ceil');
        return { type: 'function', name: name === 'lfloor' ? 'floor' : 'ceil', args: [inner] };
      }
      case '{':
      case '}':
        throw new ExpressionParseError('set braces in a scalar');
      default:
        break;
    }
    if (GREEK.has(name)) return { type: 'variable', name: `\\${name}` };
    if (FUNCTIONS.has(name)) return this.parseFunction(name);
    throw new ExpressionParseError(`unsupported command \\${name}`);
  }

  private parseFunction(name: string): Expression {
    let power: Expression | undefined;
    let base: Expression | undefined;
    for (let k = 0; k < 2; k++) {
      if (isSymbol(this.peek(), '^')) {
        this.position++;
        power = this.parseScript();
      } else if (isSymbol(this.peek(), '_')) {
        this.position++;
        base = this.parseScript();
      }
    }
    let argument: Expression;
    if (isSymbol(this.peek(), '(')) {
      this.position++;
      argument = this.parseSum();
      this.expectSymbol(')');
    } else if (isSymbol(this.peek(), '{')) {
      argument = this.parseBraced();
    } else {
      // \sin 2x → sin(2x): a run of implicit factors, stopping at the next function.
      const factors: Expression[] = [this.parsePower()];
      while (this.startsFactor(this.peek()) && !(this.peek()?.kind === 'command' && FUNCTIONS.has((this.peek() as { name: string }).name))) {
        factors.push(this.parsePower());
      }
      argument = factors.length === 1 ? (factors[0] as Expression) : { type: 'multiply', factors };
    }
    let functionName = name === 'lg' ? 'log' : name;
    // \sin^{-1} x is arcsin x.
    if (power && power.type === 'negate' && power.argument.type === 'number' && power.argument.value.n === 1n && power.argument.value.d === 1n && ['sin', 'cos', 'tan'].includes(name)) {
      functionName = `arc${name}`;
      power = undefined;
    }
    const args = functionName === 'log' && base ? [argument, base] : [argument];
    const call: Expression = { type: 'function', name: functionName, args };
    return power ? { type: 'power', base: call, exponent: power } : call;
  }
}

/** Parse a normalised scalar answer (no top-level commas, relations or brackets of tuples). */
export function parseExpression(text: string): Expression {
  if (text.length === 0) throw new ExpressionParseError('empty');
  if (text.length > LIMITS.maxAnswerChars) throw new ExpressionParseError('answer too long');
  return new Parser(tokenize(text)).parse();
}
