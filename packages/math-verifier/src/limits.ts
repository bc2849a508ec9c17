/**
 * Caps that keep every pure comparison cheap, so hostile answers fail fast with `parse-failed`
 * instead of needing the worker-pool timeout. Chosen far above any MATH answer (the longest
 * MATH-500 gold answer has 86 characters).
 */
export const LIMITS = {
  /** Responses longer than this (characters) are only scanned in their last part for answers. */
  maxResponseChars: 200_000,
  /** An extracted answer longer than this is not parsed (string comparison only). */
  maxAnswerChars: 1_000,
  /** Brace / bracket nesting deeper than this is not parsed. */
  maxNestingDepth: 64,
  /** Exact (BigInt) powers whose result would exceed this many bits fall back to floating point. */
  maxExactPowerBits: 4_096,
  /** Largest integer whose factorial is computed. */
  maxFactorial: 170,
  /** Largest number of top-level items (list / tuple / matrix cells) compared. */
  maxItems: 64,
} as const;
