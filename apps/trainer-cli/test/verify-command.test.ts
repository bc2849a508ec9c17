import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli';
import { temporaryDirs } from './support/temporary-dirs';

const tempDir = temporaryDirs();

describe('oreal verify', () => {
  it('grades an equivalent answer as correct (exit 0) and explains the comparison', async () => {
    const result = await runCli([
      'verify',
      '--gold',
      '\\frac{1}{2}',
      '--response',
      'The answer is \\boxed{0.5}',
      '--explain',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^correct \((numeric|symbolic|string)-equal\)/);
    expect(result.stdout).toMatch(/gold: +\\frac\{1\}\{2\}/);
    expect(result.stdout).toMatch(/predicted: +0\.5/);
    expect(result.stdout).toMatch(/extracted:/);
    expect(result.stderr).toMatch(/tfjs backend: \w+/);
  });

  it('grades a wrong answer as incorrect with exit code 1, and JSON on request', async () => {
    const result = await runCli(['verify', '--gold', '132', '--response', '\\boxed{131}', '--json']);
    expect(result.code).toBe(1);
    const verdict = JSON.parse(result.stdout) as { correct: boolean; reason: string; predicted: string };
    expect(verdict).toMatchObject({ correct: false, reason: 'mismatch', predicted: '131' });
  });

  it('grades a JSONL batch line by line and summarises', async () => {
    const dir = await tempDir('oreal-verify-');
    const file = join(dir, 'batch.jsonl');
    const lines = [
      { id: 'a', gold: '132', response: '7+5=12;4+8+1=13;\\boxed{132}' },
      { id: 'b', gold: '\\frac{3}{4}', response: '\\boxed{\\frac{6}{8}}' },
      { id: 'c', gold: '7', response: 'no box here at all' },
      { id: 'd', gold: '7', response: '\\boxed{7}', finishReason: 'length' },
    ];
    await writeFile(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const result = await runCli(['verify', '--input', file]);
    expect(result.code).toBe(0);
    const verdicts = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; line: number; correct: boolean; reason: string });
    expect(verdicts.map((v) => [v.id, v.line, v.correct])).toEqual([
      ['a', 1, true],
      ['b', 2, true],
      ['c', 3, false],
      ['d', 4, false],
    ]);
    expect(verdicts[3]?.reason).toBe('truncated');
    expect(result.stderr).toMatch(/4 graded: 2 correct \(50\.0%\)/);
  });

  it('names file:line and field of a bad batch line, and refuses missing flags', async () => {
    const dir = await tempDir('oreal-verify-');
    const file = join(dir, 'bad.jsonl');
    await writeFile(
      file,
      `${JSON.stringify({ gold: '1', response: '\\boxed{1}' })}\n${JSON.stringify({ response: 'x' })}\n`,
    );
    const bad = await runCli(['verify', '--input', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${file}:2: field 'gold'`);
    const missing = await runCli(['verify', '--gold', '1']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--response: missing/);
  });
});
