/**
 * Why a verifier decided as it did.
 * - `no-answer`: no final answer could be extracted;
 * - `parse-failed`: an answer was found but could not be parsed for comparison;
 * - `timeout`: the comparison exceeded its time limit;
 * - `string-equal` | `numeric-equal` | `symbolic-equal`: the stage that proved equality;
 * - `mismatch`: every stage ran and found the answers different;
 * - `truncated`: the response hit the token limit (finish reason `length`) and is incorrect;
 * - `error`: the verifier itself failed (counts as incorrect).
 */
export type VerdictReason =
  | 'no-answer'
  | 'parse-failed'
  | 'timeout'
  | 'string-equal'
  | 'numeric-equal'
  | 'symbolic-equal'
  | 'mismatch'
  | 'truncated'
  | 'error';

/** All verdict reasons, in a stable order (useful for tables and schemas). */
export const VERDICT_REASONS: readonly VerdictReason[] = [
  'no-answer',
  'parse-failed',
  'timeout',
  'string-equal',
  'numeric-equal',
  'symbolic-equal',
  'mismatch',
  'truncated',
  'error',
];

/** An explained grading decision. */
export interface Verdict {
  readonly correct: boolean;
  readonly reason: VerdictReason;
  /** The gold answer as given. */
  readonly gold: string;
  /** The extracted predicted answer, or `null` when none was found. */
  readonly predicted: string | null;
  /** Free-form explanation (which boxed answer was used, the normalised forms, …). */
  readonly detail?: string;
}
