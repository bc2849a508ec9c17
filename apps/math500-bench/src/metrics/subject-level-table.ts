import { passAtOne } from './pass-at-one';

/** Per-problem correct counts with the problem's subject and level. */
export interface ProblemTally {
  readonly id: string;
  readonly subject: string | null;
  readonly level: number | null;
  /** Samples graded. */
  readonly n: number;
  /** Samples graded correct. */
  readonly correct: number;
}

/** One cell (or margin) of the subject × level table: pass@1 over the problems in it. */
export interface AccuracyCell {
  readonly problems: number;
  readonly samples: number;
  /** pass@1 of the problems in the cell (mean of per-problem rates). */
  readonly accuracy: number;
}

/** Accuracy by subject × level, with both margins and the overall total. */
export interface SubjectLevelTable {
  /** Subjects in alphabetical order (`unknown` for problems without one, last). */
  readonly subjects: string[];
  /** Levels in increasing order (0 stands for problems without a level). */
  readonly levels: number[];
  /** `cells[subject][level]`; absent when no problem falls in the cell. */
  readonly cells: Record<string, Record<string, AccuracyCell>>;
  readonly bySubject: Record<string, AccuracyCell>;
  readonly byLevel: Record<string, AccuracyCell>;
  readonly total: AccuracyCell;
}

function cell(tallies: readonly ProblemTally[]): AccuracyCell {
  return {
    problems: tallies.length,
    samples: tallies.reduce((s, t) => s + t.n, 0),
    accuracy: passAtOne(tallies).value,
  };
}

/** Group problems by subject and level and compute pass@1 in every cell and margin. */
export function subjectLevelTable(tallies: readonly ProblemTally[]): SubjectLevelTable {
  const subjectOf = (t: ProblemTally) => t.subject ?? 'unknown';
  const levelOf = (t: ProblemTally) => t.level ?? 0;
  const subjects = [...new Set(tallies.map(subjectOf))].sort((a, b) =>
    a === 'unknown' ? 1 : b === 'unknown' ? -1 : a.localeCompare(b),
  );
  const levels = [...new Set(tallies.map(levelOf))].sort((a, b) => a - b);
  const cells: Record<string, Record<string, AccuracyCell>> = {};
  const bySubject: Record<string, AccuracyCell> = {};
  const byLevel: Record<string, AccuracyCell> = {};
  for (const subject of subjects) {
    const inSubject = tallies.filter((t) => subjectOf(t) === subject);
    bySubject[subject] = cell(inSubject);
    const row: Record<string, AccuracyCell> = {};
    for (const level of levels) {
      const inCell = inSubject.filter((t) => levelOf(t) === level);
      if (inCell.length > 0) row[String(level)] = cell(inCell);
    }
    cells[subject] = row;
  }
  for (const level of levels) byLevel[String(level)] = cell(tallies.filter((t) => levelOf(t) === level));
  return { subjects, levels, cells, bySubject, byLevel, total: cell(tallies) };
}
