import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/index';
import { hasMath500, math500File, NO_DATA_REASON, temporaryDir } from './helpers';

function capture() {
  const logs: string[] = [];
  const printed: string[] = [];
  return { logs, printed, env: { log: (m: string) => logs.push(m), print: (m: string) => printed.push(m) } };
}

describe('oreal-math500 flags', () => {
  it('says which model flags are missing or conflicting (exit 2)', async () => {
    const io = capture();
    expect(await runCli(['--data', 'x.jsonl', '--verifier-threads', '0'], io.env)).toBe(2);
    expect(io.logs.join('\n')).toMatch(/--endpoint URL --model NAME, or --checkpoint DIR/);
    const io2 = capture();
    expect(await runCli(['--endpoint', 'http://127.0.0.1:9', '--verifier-threads', '0'], io2.env)).toBe(2);
    expect(io2.logs.join('\n')).toMatch(/--endpoint needs --model NAME/);
    const io3 = capture();
    expect(await runCli(['--endpoint', 'http://127.0.0.1:9', '--model', 'm', '--n', '0', '--verifier-threads', '0'], io3.env)).toBe(2);
    expect(io3.logs.join('\n')).toMatch(/--n must be ≥ 1/);
    const io4 = capture();
    expect(await runCli(['--endpoint', 'localhost:8000', '--model', 'm', '--verifier-threads', '0'], io4.env)).toBe(2);
    expect(io4.logs.join('\n')).toMatch(/http\(s\) URL/);
  });

  it('without --data and offline, explains how to proceed (exit 2)', async () => {
    const io = capture();
    const offline = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    const code = await runCli(['grade', '--responses', 'r.jsonl', '--verifier-threads', '0'], {
      ...io.env,
      fetch: offline,
      cacheDir: await temporaryDir(),
    });
    expect(code).toBe(2);
    expect(io.logs.join('\n')).toMatch(/could not download MATH-500 \(offline or blocked\?\)[\s\S]*--data/);
  });
});

describe.skipIf(!hasMath500)(`oreal-math500 grade on the shared MATH-500 (${NO_DATA_REASON})`, () => {
  it('grades reference solutions (right) and perturbed answers (wrong) with the real verifier', async () => {
    const lines = (await readFile(math500File, 'utf8')).trim().split('\n').slice(0, 40);
    const rows = lines.map((l) => JSON.parse(l) as { unique_id: string; solution: string; problem: string });
    const dir = await temporaryDir();
    const responses = join(dir, 'responses.jsonl');
    await writeFile(
      responses,
      rows
        .flatMap((r, i) => [
          { unique_id: r.unique_id, response: r.solution, model: 'reference' },
          { problem: r.problem, response: i % 2 ? 'The answer is \\boxed{1234567}.' : 'I am not sure.', model: 'reference' },
        ])
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const io = capture();
    const out = join(dir, 'out');
    expect(await runCli(['grade', '--responses', responses, '--data', math500File, '--out', out, '--verifier-threads', '0'], io.env)).toBe(0);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.model).toBe('reference');
    expect(summary.problems).toBe(40);
    expect(summary.samples).toBe(80);
    // every reference solution is right and every perturbed answer wrong: each problem is 1 of 2
    expect(summary.passAt1.value).toBeCloseTo(0.5, 12);
    expect(summary.passAtK[1].value).toBe(1);
    expect(summary.extractionFailureRate).toBeCloseTo(20 / 80, 12);
    expect(io.printed.join('\n')).toMatch(/pass@1 50\.0%/);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain('| graded samples | 80 |');
  });
});
