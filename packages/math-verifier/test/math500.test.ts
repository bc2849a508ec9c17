import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SeededRng, type Problem } from '@oreal-ts/core';
import { compareAnswers, createMathVerifier } from '../src/index';

// Repo root is three levels up from packages/math-verifier/test; the data lives beside the repo.
const dataFile = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/math500/test.jsonl');
const present = existsSync(dataFile);

interface Row {
  readonly problem: string;
  readonly solution: string;
  readonly answer: string;
  readonly unique_id: string;
}

const rows: Row[] = present ? readFileSync(dataFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Row) : [];

/** Sattolo's algorithm: a uniformly random cyclic permutation, hence a derangement (no fixed point). */
function seededDerangement(n: number, seed: string): number[] {
  const rng = new SeededRng(seed);
  const permutation = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i);
    [permutation[i], permutation[j]] = [permutation[j] as number, permutation[i] as number];
  }
  return permutation;
}

/**
 * Pairs of the derangement below whose two gold answers are mathematically equal (checked by hand:
 * both golds are the same integer). They are removed from the no-false-positive check.
 */
const TRULY_EQUAL_PAIRS = [
  ['test/algebra/769.json', 'test/precalculus/1201.json'], // "11" and "11"
  ['test/number_theory/234.json', 'test/intermediate_algebra/1300.json'], // "16" and "16"
];

describe.skipIf(!present)(`MATH-500 (${dataFile}; skipped when the file is absent)`, () => {
  it('judges every reference solution\'s final boxed answer equal to its gold (500/500)', async () => {
    expect(rows).toHaveLength(500);
    const verifier = createMathVerifier();
    const wrong: string[] = [];
    for (const row of rows) {
      const problem: Problem = { id: row.unique_id, question: row.problem, answer: row.answer };
      const verdict = await verifier.verify(problem, row.solution);
      if (!verdict.correct) wrong.push(`${row.unique_id}: ${verdict.reason} ${verdict.detail ?? ''}`);
    }
    expect(wrong).toEqual([]);
  });

  it('finds no false positive when each gold is paired with another problem\'s gold (seeded derangement)', () => {
    const permutation = seededDerangement(rows.length, 'math500-derangement');
    expect(permutation.every((j, i) => j !== i)).toBe(true);
    const equalPairs: string[][] = [];
    const falsePositives: string[] = [];
    for (let i = 0; i < rows.length; i++) {
      const a = rows[i] as Row;
      const b = rows[permutation[i] as number] as Row;
      const listed = TRULY_EQUAL_PAIRS.some(([x, y]) => x === a.unique_id && y === b.unique_id);
      const result = compareAnswers(a.answer, b.answer);
      if (listed) equalPairs.push([a.unique_id, b.unique_id]);
      else if (result.equal) falsePositives.push(`${a.unique_id} '${a.answer}' vs ${b.unique_id} '${b.answer}': ${result.reason}`);
    }
    expect(falsePositives).toEqual([]);
    // The listed pairs really occur in this derangement (the list is not stale).
    expect(equalPairs).toEqual(TRULY_EQUAL_PAIRS);
  });
});
