import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Problem } from '@oreal-ts/core';
import { createMathVerifier } from '../src/index';
import { createVerifierPool } from '../src/pool/index';
import { HOSTILE_CASES } from './hostile-inputs';

const problem = (answer: string): Problem => ({ id: 'hostile', question: 'q', answer });
// Hang guard from the issue ("within 2 s each"), generous on a busy 2-core machine.
const BOUND_MS = 2000;

describe('hostile inputs, in process (pure core; caps instead of timeouts)', () => {
  const verifier = createMathVerifier({ useComputeEngine: false });
  it.each(HOSTILE_CASES.filter((c) => !c.name.startsWith('CAS')).map((c) => [c.name, c] as const))('%s returns a verdict quickly', async (_name, hostile) => {
    const start = performance.now();
    const verdict = await verifier.verify(problem(hostile.gold), hostile.response);
    const elapsed = performance.now() - start;
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect(['mismatch', 'parse-failed', 'no-answer', 'string-equal', 'numeric-equal', 'symbolic-equal']).toContain(verdict.reason);
  });

  it('does not reward explosive or undefined values', async () => {
    for (const name of ['tower 9^{9^{9}}', 'division by zero', 'zero over zero', '1 MB of digits', 'tiny against zero', 'huge factorial']) {
      const hostile = HOSTILE_CASES.find((c) => c.name === name);
      if (!hostile) throw new Error(`no hostile case ${name}`);
      expect((await verifier.verify(problem(hostile.gold), hostile.response)).correct, name).toBe(false);
    }
  });

  it('answers 10,000 nested braces and 9^{9^{9}} with parse-failed', async () => {
    const braces = HOSTILE_CASES.find((c) => c.name === '10,000 nested braces') as (typeof HOSTILE_CASES)[number];
    expect((await verifier.verify(problem(braces.gold), braces.response)).reason).toBe('parse-failed');
    const tower = HOSTILE_CASES.find((c) => c.name === 'tower against tower') as (typeof HOSTILE_CASES)[number];
    expect((await verifier.verify(problem(tower.gold), tower.response)).reason).toBe('parse-failed');
  });
});

describe('hostile inputs through the worker pool (hard time limit)', () => {
  const pool = createVerifierPool({ threads: 2, timeoutMs: BOUND_MS - 200 });
  // Start the workers (and their compute-engine import) before timing anything.
  beforeAll(async () => {
    await Promise.all([pool.verify(problem('1'), '\\boxed{1}'), pool.verify(problem('2'), '\\boxed{2}')]);
  });
  afterAll(() => pool.close());

  it('returns a verdict for every hostile case within the bound, with the compute-engine fallback on', async () => {
    for (const hostile of HOSTILE_CASES) {
      const start = performance.now();
      const verdict = await pool.verify(problem(hostile.gold), hostile.response);
      const elapsed = performance.now() - start;
      // The pair limit is BOUND_MS - 200; a timed-out worker's replacement starts in the background.
      expect(elapsed, `${hostile.name}: ${verdict.reason}`).toBeLessThan(BOUND_MS);
      // Only the two cases whose last boxed answer really is the gold are correct.
      expect(verdict.correct, hostile.name).toBe(hostile.name === 'many boxed answers' || hostile.name === '1 MB response');
    }
  });
});
