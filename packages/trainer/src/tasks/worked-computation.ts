/**
 * Worked solutions as data: a list of `lhs=value` steps and the number they box. The column
 * families (addition, multiplication) build their solutions from this, and the step-slip teacher
 * re-runs the same computation with one step's written value changed, so the error propagates
 * through every later step exactly as a (self-consistent) person would carry it.
 */

/** One step of a worked solution, written `lhs=value`. */
export interface WorkedStep {
  /** Everything before the `=`, e.g. `4*6+4`. */
  readonly lhs: string;
  /** The written result of the step (a non-negative integer). */
  readonly value: number;
}

/** A worked computation: its steps and the result it boxes. */
export interface WorkedComputation {
  readonly steps: readonly WorkedStep[];
  readonly result: number;
}

/**
 * What a teacher writes as the result of a step: called with the step's index and its correct
 * value given the (already written) earlier steps, returns the value written. The identity gives
 * the exact solution.
 */
export type StepWriter = (step: number, correctValue: number) => number;

/** The identity `StepWriter`: every step written exactly. */
export const exactSteps: StepWriter = (_step, value) => value;

/** The solution text: `lhs=value` steps joined by `;`, then `;\boxed{result}`. */
export function renderWorkedSolution(work: WorkedComputation): string {
  return `${work.steps.map((s) => `${s.lhs}=${s.value}`).join(';')};\\boxed{${work.result}}`;
}

/** Character index in `renderWorkedSolution(work)` where step `step`'s value starts. */
export function stepValueOffset(work: WorkedComputation, step: number): number {
  let offset = 0;
  for (let i = 0; i < step; i++) {
    const s = work.steps[i] as WorkedStep;
    offset += s.lhs.length + 1 + String(s.value).length + 1;
  }
  return offset + (work.steps[step] as WorkedStep).lhs.length + 1;
}

/**
 * Column-by-column work from the right (the shared shape of column addition and one-digit
 * multiplication): column `i` writes `lhs(i, carry)=value` with `value = columnValue(i) + carry`,
 * and the next column's carry is `⌊written value / 10⌋`. The result is the last written value
 * followed by the units digits of the others, i.e. `v₋₁·10ⁿ⁻¹ + Σᵢ (vᵢ mod 10)·10ⁱ`; with exact
 * steps that is the true result, with one value off by ε at column k it is the true result + ε·10ᵏ.
 */
export function columnWork(
  columns: number,
  columnValue: (column: number) => number,
  lhs: (column: number, carry: number) => string,
  write: StepWriter,
): WorkedComputation {
  const steps: WorkedStep[] = [];
  let carry = 0;
  let result = 0;
  for (let i = 0; i < columns; i++) {
    const value = write(i, columnValue(i) + carry);
    steps.push({ lhs: lhs(i, carry), value });
    carry = Math.floor(value / 10);
    result += (i === columns - 1 ? value : value % 10) * 10 ** i;
  }
  return { steps, result };
}
