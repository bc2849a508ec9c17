/** Hostile responses and answers: huge, deeply nested, or numerically explosive. */
export interface HostileCase {
  readonly name: string;
  readonly gold: string;
  readonly response: string;
}

const nestedBraces = (depth: number): string => `${'{'.repeat(depth)}5${'}'.repeat(depth)}`;

export const HOSTILE_CASES: readonly HostileCase[] = [
  { name: 'tower 9^{9^{9}}', gold: '5', response: '\\boxed{9^{9^{9}}}' },
  { name: 'tower against tower', gold: '9^{9^{9}}', response: '\\boxed{9^{9^{9}}+1}' },
  { name: 'tower of twos', gold: '2^{2^{2^{2^{2}}}}', response: '\\boxed{2^{65536}}' },
  { name: 'huge factorial', gold: '1', response: '\\boxed{(10^{100})!}' },
  { name: 'huge binomial', gold: '1', response: '\\boxed{\\binom{10^{9}}{5}}' },
  { name: 'division by zero', gold: '1', response: '\\boxed{\\frac{1}{0}}' },
  { name: 'zero over zero', gold: '0', response: '\\boxed{0/0}' },
  { name: '1 MB response', gold: '5', response: `${'blah '.repeat(200_000)}\\boxed{5}` },
  { name: '1 MB of digits', gold: '5', response: `\\boxed{${'9'.repeat(1_000_000)}}` },
  { name: '10,000 nested braces', gold: '5', response: `\\boxed{${nestedBraces(10_000)}}` },
  { name: '10,000 nested braces, unclosed', gold: '5', response: `\\boxed{${'{'.repeat(10_000)}5` },
  { name: '400 nested parentheses', gold: '5', response: `\\boxed{${'('.repeat(400)}5${')'.repeat(400)}}` },
  { name: '100 nested square roots', gold: '2', response: `\\boxed{${'\\sqrt{'.repeat(100)}2${'}'.repeat(100)}}` },
  { name: 'many boxed answers', gold: '1', response: '\\boxed{1} '.repeat(50_000) },
  { name: 'many frac commands', gold: '1', response: `\\boxed{${'\\frac'.repeat(2_000)}}` },
  { name: 'long comma list', gold: '1', response: `\\boxed{${'1,'.repeat(50_000)}1}` },
  { name: 'answer-is spam', gold: '1', response: 'the answer is '.repeat(50_000) },
  { name: 'whitespace megabyte', gold: '1', response: ' '.repeat(1_000_000) },
  { name: 'control characters', gold: '1', response: '\\boxed{\u0000\u0001\uffff\ud800}' },
  { name: 'hostile gold', gold: `${'('.repeat(5_000)}`, response: '\\boxed{1}' },
  { name: 'exponent with many digits', gold: '1', response: '\\boxed{2^{99999999999999999999}}' },
  { name: 'tiny against zero', gold: '0', response: '\\boxed{10^{-99999}}' },
  { name: 'CAS-only tower', gold: '1', response: '\\boxed{\\Gamma(9^{9^{9}})}' },
  { name: 'CAS-only huge gamma', gold: '1', response: '\\boxed{\\Gamma(10^{6})}' },
];
