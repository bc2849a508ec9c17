import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, type Problem } from '@oreal-ts/core';
import { createVerifierPool, type VerifierPool } from '../src/pool/index';
import type * as PoolModule from '../src/pool/index';

const here = dirname(fileURLToPath(import.meta.url));
const problem = (answer: string): Problem => ({ id: 'p', question: 'q', answer });

describe('createVerifierPool from source (worker bundled from src/pool/worker.ts)', () => {
  const pool = createVerifierPool({ threads: 2, timeoutMs: 5000 });
  afterAll(() => pool.close());

  it('implements the Verifier contract and grades in worker threads', async () => {
    expect(pool.specificationVersion).toBe('v1');
    expect(pool.id).toBe('oreal-ts/math-verifier@pool');
    const verdicts = await Promise.all([
      pool.verify(problem('\\frac{1}{2}'), 'so \\boxed{0.5}'),
      pool.verify(problem('(1,2)'), '\\boxed{(2,1)}'),
      pool.verify(problem('3'), { text: '\\boxed{3}', finishReason: 'length' }),
      pool.verify(problem('x^2+2x+1'), '\\boxed{(x+1)^2}'),
    ]);
    expect(verdicts.map((v) => v.reason)).toEqual(['numeric-equal', 'mismatch', 'truncated', 'symbolic-equal']);
  });

  it('can load the compute-engine fallback inside a worker', async () => {
    // Γ(3)/4 = 1/2; only compute-engine knows \Gamma.
    const verdict = await pool.verify(problem('\\frac{1}{2}'), '\\boxed{\\frac{\\Gamma(3)}{4}}');
    expect(verdict).toMatchObject({ correct: true, reason: 'symbolic-equal' });
  });

  it('rejects bad options with ConfigError', () => {
    expect(() => createVerifierPool({ threads: 0 })).toThrow(ConfigError);
    expect(() => createVerifierPool({ timeoutMs: -1 })).toThrow(ConfigError);
  });
});

describe('pool mechanics with a worker that can hang', () => {
  const slowWorker = resolve(here, 'fixtures/slow-worker.mjs');
  let pool: VerifierPool;
  afterAll(() => pool?.close());

  it('turns a hung comparison into a timeout verdict, replaces the worker and keeps serving', async () => {
    pool = createVerifierPool({ threads: 1, timeoutMs: 300, workerFile: pathToFileURL(slowWorker) });
    const start = performance.now();
    const [hung, queued] = await Promise.all([pool.verify(problem('hang'), 'the answer is \\boxed{7}'), pool.verify(problem('5'), '\\boxed{5}')]);
    expect(hung).toMatchObject({ correct: false, reason: 'timeout', gold: 'hang', predicted: '7' });
    // The queued pair waited for the only thread; its own limit started only when it ran.
    expect(queued, JSON.stringify(queued)).toMatchObject({ correct: true, detail: 'thread ok' });
    expect(performance.now() - start).toBeLessThan(5000);
    const after = await pool.verify(problem('6'), '\\boxed{6}');
    expect(after.correct).toBe(true);
  });

  it('answers error after close instead of throwing', async () => {
    const closing = createVerifierPool({ threads: 1, workerFile: slowWorker });
    await closing.close();
    const verdict = await closing.verify(problem('1'), '\\boxed{1}');
    expect(verdict).toMatchObject({ correct: false, reason: 'error' });
  });
});

const builtPool = resolve(here, '../dist/pool/index.js');
describe.skipIf(!existsSync(builtPool))('built package (dist/pool; skipped until `npx tsup` has run)', () => {
  it('finds dist/pool/worker.js next to itself and grades', async () => {
    const module = (await import(pathToFileURL(builtPool).href)) as typeof PoolModule;
    const pool = module.createVerifierPool({ threads: 1 });
    try {
      const verdict = await pool.verify(problem('\\text{(C)}'), 'I choose \\boxed{C}');
      expect(verdict).toMatchObject({ correct: true, reason: 'string-equal' });
    } finally {
      await pool.close();
    }
  });
});
