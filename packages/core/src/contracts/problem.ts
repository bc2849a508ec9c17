/** One verifiable maths problem: a question and its gold (reference) final answer. */
export interface Problem {
  /** Unique, stable id (MATH-500: `unique_id`, e.g. `test/algebra/1.json`). */
  readonly id: string;
  /** The question as shown to the model (LaTeX allowed). */
  readonly question: string;
  /** The gold final answer, as written by the dataset (e.g. `\frac{1}{2}`). */
  readonly answer: string;
  /** Optional worked solution (used for supervised warm starts). */
  readonly solution?: string;
  /** Optional subject, e.g. `Algebra`. */
  readonly subject?: string;
  /** Optional difficulty level (MATH: 1–5). */
  readonly level?: number;
  /** Optional pass rate of the initial policy in [0, 1], for offline difficulty balancing. */
  readonly passRate?: number;
}
