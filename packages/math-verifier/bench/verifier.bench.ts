/**
 * Throughput of the in-process verifier (single process, one thread):
 * - MATH-500: `verify(problem, referenceSolution)` — extraction of the last \boxed{} included —
 *   for all 500 problems, repeated;
 * - hard cases: `compareAnswers(gold, predicted)` over the whole case table (test/cases.ts);
 * - derangement: gold vs another problem's gold (the no-false-positive set), via compareAnswers;
 * - response table (test/response-cases.ts, issue 13): `verify(problem, response)` with extraction.
 * Writes bench-results/math-verifier/verifier.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Problem } from '@oreal-ts/core';
import { compareAnswers, createMathVerifier } from '../src/index';
import { clearParseCache } from '../src/compare-scalars';
import { CASES } from '../test/cases';
import { RESPONSE_CASES } from '../test/response-cases';
import { writeBenchResult } from '../../../tools/scripts/src/bench-output.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dataFile = resolve(here, '../../../../shared/data/math500/test.jsonl');

interface Row {
  problem: string;
  solution: string;
  answer: string;
  unique_id: string;
}

async function timeIt(minimumMs: number, body: () => Promise<number> | number): Promise<{ pairs: number; seconds: number; pairsPerSecond: number }> {
  await body(); // warm-up (JIT, caches, CAS load if any)
  let pairs = 0;
  const start = performance.now();
  while (performance.now() - start < minimumMs) pairs += await body();
  const seconds = (performance.now() - start) / 1000;
  return { pairs, seconds, pairsPerSecond: Math.round(pairs / seconds) };
}

describe('math-verifier throughput', () => {
  it('measures MATH-500 and hard-case pairs per second', async () => {
    const result: Record<string, unknown> = { note: 'single process, one thread; taken on a shared 2-core machine (noisy)' };
    if (existsSync(dataFile)) {
      const rows = readFileSync(dataFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Row);
      const problems: Problem[] = rows.map((r) => ({ id: r.unique_id, question: r.problem, answer: r.answer }));
      const verifier = createMathVerifier();
      let correct = 0;
      const math500 = await timeIt(3000, async () => {
        clearParseCache();
        correct = 0;
        for (let i = 0; i < rows.length; i++) if ((await verifier.verify(problems[i] as Problem, (rows[i] as Row).solution)).correct) correct++;
        return rows.length;
      });
      expect(correct).toBe(rows.length);
      result['math500'] = { ...math500, correctPerPass: correct, problems: rows.length };
      const derangement = await timeIt(2000, () => {
        clearParseCache();
        for (let i = 0; i < rows.length; i++) compareAnswers((rows[i] as Row).answer, (rows[(i + 1) % rows.length] as Row).answer);
        return rows.length;
      });
      result['math500GoldVsOtherGold'] = derangement;
    } else {
      result['math500'] = { skipped: `${dataFile} is absent` };
    }
    const hard = await timeIt(3000, () => {
      for (const c of CASES) compareAnswers(c.gold, c.predicted);
      return CASES.length;
    });
    // Cold: the parse cache emptied before every pass, so no leaf is parsed twice for free.
    const hardCold = await timeIt(3000, () => {
      clearParseCache();
      for (const c of CASES) compareAnswers(c.gold, c.predicted);
      return CASES.length;
    });
    const responseVerifier = createMathVerifier({ useComputeEngine: false });
    const responseProblems: Problem[] = RESPONSE_CASES.map((c, i) => ({ id: `r${i}`, question: '', answer: c.gold }));
    let responseAgree = 0;
    const responses = await timeIt(3000, async () => {
      clearParseCache();
      responseAgree = 0;
      for (let i = 0; i < RESPONSE_CASES.length; i++) {
        const c = RESPONSE_CASES[i] as (typeof RESPONSE_CASES)[number];
        if ((await responseVerifier.verify(responseProblems[i] as Problem, c.response)).correct === c.equal) responseAgree++;
      }
      return RESPONSE_CASES.length;
    });
    expect(responseAgree).toBe(RESPONSE_CASES.length);
    result['responseTableColdCache'] = { ...responses, cases: RESPONSE_CASES.length, agreeingPerPass: responseAgree };
    result['hardCases'] = { ...hard, cases: CASES.length };
    result['hardCasesColdCache'] = { ...hardCold, cases: CASES.length };
    const file = writeBenchResult('math-verifier', 'verifier', result);
    console.log(JSON.stringify(result, null, 2), '\n→', file);
    expect(hard.pairsPerSecond).toBeGreaterThan(0);
  });
});
