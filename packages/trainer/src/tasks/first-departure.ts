import type { Problem } from '@oreal-ts/core';

/**
 * Where a response first departs from a family's worked solution (issue 16, credit-assignment
 * diagnostics). The built-in families generate one canonical worked solution per problem, so for a
 * wrong response the first character where it differs from that solution is the first wrong
 * token (the task tokenizer is one character per token).
 *
 * Returns the index of the first differing character; the response's length when it is a strict
 * prefix of the solution (truncated: no emitted token is wrong, the departure is the missing next
 * token); null when the response equals the solution or continues past it only after the full
 * solution (then it carries no wrong step of the solution itself).
 *
 * Shapes: two strings → a character (= token) index or null.
 */
export function firstDeparture(solution: string, response: string): number | null {
  const shared = Math.min(solution.length, response.length);
  for (let i = 0; i < shared; i++) if (solution[i] !== response[i]) return i;
  return response.length < solution.length ? response.length : null;
}

/**
 * The credit marker of the built-in task families: the first departure of a response from the
 * problem's worked solution (null when the problem has none). Pass it as `createTrainer`'s
 * `creditMarker`. Meaningful only where the solution is the one canonical way to write the answer
 * (the generated families), not for free-form solutions such as MATH's.
 */
export function firstDepartureMarker(problem: Problem, responseText: string): number | null {
  return problem.solution === undefined ? null : firstDeparture(problem.solution, responseText);
}
