import type { Problem } from './problem';
import type { FinishReason } from './rollout';
import type { Verdict } from './verdict';
import type { Component } from './version';

/** A model response to grade: the text and, when known, why generation stopped. */
export interface VerifierResponse {
  readonly text: string;
  /** A `length` finish (truncated response) is graded incorrect. */
  readonly finishReason?: FinishReason;
}

/** Grades a response against a problem's gold answer. Never throws: failures are verdicts. */
export interface Verifier extends Component {
  verify(problem: Problem, response: string | VerifierResponse): Promise<Verdict>;
}
