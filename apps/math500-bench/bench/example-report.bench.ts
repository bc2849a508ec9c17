/**
 * Generates the example report shown in README.md: `oreal-math500 grade` over synthetic responses
 * built from MATH-500's reference solutions. For a problem of level L each of 16 samples is, with
 * probability 0.95 − 0.15·(L − 1) (seeded), the reference solution (right); otherwise a wrong response:
 * mostly one fixed wrong boxed answer per problem (so maj@k has a real competitor), sometimes no answer,
 * sometimes a truncated reference solution. Output: bench-results/math500-bench/example-report/.
 * Run: `npm run bench` in apps/math500-bench.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { SeededRng } from '@oreal-ts/core';
import { loadMath500, runCli } from '../src/index';
import { hasMath500, math500File, NO_DATA_REASON, repoRoot, temporaryDir } from '../test/helpers';

it.skipIf(!hasMath500)(`writes the README example report (${NO_DATA_REASON})`, async () => {
  const problems = await loadMath500(math500File);
  const rng = new SeededRng(2025);
  const lines: string[] = [];
  problems.forEach((problem, i) => {
    const level = problem.level ?? 3;
    const pRight = 0.95 - 0.15 * (level - 1);
    const decoy = problems[(i + 137) % problems.length]?.answer ?? '0';
    for (let sample = 0; sample < 16; sample++) {
      const u = rng.next();
      const line =
        u < pRight
          ? { unique_id: problem.id, sample, response: problem.solution }
          : u < pRight + (1 - pRight) * 0.7
            ? { unique_id: problem.id, sample, response: `Carefully, the result is $\\boxed{${decoy}}$.` }
            : u < pRight + (1 - pRight) * 0.85
              ? { unique_id: problem.id, sample, response: 'We keep going and going' }
              : { unique_id: problem.id, sample, response: (problem.solution ?? '').slice(0, 80), finish_reason: 'length' };
      lines.push(JSON.stringify({ ...line, model: 'synthetic-reference-mix' }));
    }
  });
  const responses = join(await temporaryDir(), 'responses.jsonl');
  await writeFile(responses, lines.join('\n') + '\n');
  const out = join(repoRoot, 'bench-results', 'math500-bench', 'example-report');
  const code = await runCli(['grade', '--responses', responses, '--data', math500File, '--out', out, '--verifier-threads', '0'], {
    log: () => undefined,
  });
  expect(code).toBe(0);
});
