import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Problem } from '@oreal-ts/core';
import { createFakeVerifier } from '@oreal-ts/core/testing';
import { temporaryDir } from '../../test/helpers';
import { gradeResponses, readResponses } from './grade-responses';

const problems: Problem[] = [
  { id: 'a', question: 'What is 1+1?', answer: '2', subject: 'Algebra', level: 1 },
  { id: 'b', question: 'What is 2+2?', answer: '4', subject: 'Prealgebra', level: 3 },
];

async function write(lines: unknown[]): Promise<string> {
  const file = join(await temporaryDir(), 'responses.jsonl');
  await writeFile(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}

describe('grade mode', () => {
  it('matches lines by unique_id or problem text, numbers samples in file order, and grades them', async () => {
    const file = await write([
      { unique_id: 'a', response: '\\boxed{2}', model: 'x' },
      { unique_id: 'a', response: '\\boxed{3}' },
      { problem: '  What is 2+2? ', response: '\\boxed{4}' },
      { unique_id: 'b', response: 'I give up', finish_reason: 'length', sample: 5 },
    ]);
    const matched = await readResponses(file, problems);
    expect(matched.map((m) => `${m.problem.id}#${m.sample}`)).toEqual(['a#0', 'a#1', 'b#0', 'b#5']);
    const outDir = await temporaryDir();
    const result = await gradeResponses({
      problems,
      responsesFile: file,
      verifier: createFakeVerifier(),
      equivalence: (x, y) => x === y,
      outDir,
      dataLabel: 'inline',
      log: () => undefined,
    });
    expect(result.summary.model).toBe('x');
    expect(result.summary.samples).toBe(4);
    expect(result.summary.passAt1.value).toBeCloseTo((0.5 + 0.5) / 2, 12);
    expect(result.summary.truncationRate).toBe(0.25);
    expect(result.records.find((r) => r.unique_id === 'b' && r.sample === 5)?.reason).toBe('truncated');
    expect((await readFile(result.files.results, 'utf8')).trim().split('\n')).toHaveLength(4);
    expect(await readFile(result.files.report, 'utf8')).toMatch(/\| mode \| `grade` \|/);
  });

  it('names the line of unknown problems, duplicates and records without a problem', async () => {
    await expect(readResponses(await write([{ unique_id: 'zzz', response: 'r' }]), problems)).rejects.toMatchObject({
      line: 1,
      field: 'unique_id',
      message: expect.stringMatching(/unknown unique_id 'zzz'/),
    });
    await expect(
      readResponses(await write([{ unique_id: 'a', response: 'r', sample: 0 }, { unique_id: 'a', response: 's', sample: 0 }]), problems),
    ).rejects.toMatchObject({ line: 2, field: 'sample' });
    await expect(readResponses(await write([{ response: 'r' }]), problems)).rejects.toMatchObject({ line: 1, field: 'unique_id' });
    await expect(readResponses(await write([{ problem: 'Other?', response: 'r' }]), problems)).rejects.toMatchObject({ field: 'problem' });
  });

  it('needs --model when the file mixes models, and filters by it', async () => {
    const file = await write([
      { unique_id: 'a', response: '\\boxed{2}', model: 'x' },
      { unique_id: 'a', response: '\\boxed{3}', model: 'y' },
    ]);
    await expect(readResponses(file, problems)).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/2 models \(x, y\).*--model/) });
    const onlyY = await readResponses(file, problems, 'y');
    expect(onlyY.map((m) => m.response)).toEqual(['\\boxed{3}']);
  });
});
