import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataFormatError } from '@oreal-ts/core';
import { hasMath500, math500File, NO_DATA_REASON, temporaryDir } from '../../test/helpers';
import { loadMath500 } from './math500-problems';

const line = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({ problem: 'What is 1+2?', answer: '3', subject: 'Algebra', level: 1, unique_id: 'test/algebra/1.json', ...overrides });

describe('loadMath500', () => {
  it.skipIf(!hasMath500)(`reads the 500 shared problems with subjects and levels (${NO_DATA_REASON})`, async () => {
    const problems = await loadMath500(math500File);
    expect(problems).toHaveLength(500);
    expect(new Set(problems.map((p) => p.id)).size).toBe(500);
    const first = problems[0];
    expect(first).toMatchObject({ id: 'test/precalculus/807.json', subject: 'Precalculus', level: 2 });
    expect(first?.answer).toBe('\\left( 3, \\frac{\\pi}{2} \\right)');
    const levels = new Map<number, number>();
    for (const p of problems) levels.set(p.level as number, (levels.get(p.level as number) ?? 0) + 1);
    // The level counts documented in shared/data/math500/SOURCE.md
    expect(Object.fromEntries(levels)).toEqual({ 1: 43, 2: 90, 3: 105, 4: 128, 5: 134 });
  });

  it('names file, line and field of a bad record', async () => {
    const dir = await temporaryDir();
    const file = join(dir, 'bad.jsonl');
    await writeFile(file, [line(), line({ unique_id: 'b', level: 'Level 3' })].join('\n') + '\n');
    const error = await loadMath500(file).catch((e: unknown) => e);
    expect(DataFormatError.is(error)).toBe(true);
    expect(error).toMatchObject({ file, line: 2, field: 'level' });
    expect(String((error as Error).message)).toContain(`${file}:2`);

    await writeFile(file, [line(), line({ answer: undefined, unique_id: 'c' })].join('\n'));
    await expect(loadMath500(file)).rejects.toMatchObject({ line: 2, field: 'answer' });

    await writeFile(file, [line(), '{"problem": "x", ', line()].join('\n'));
    await expect(loadMath500(file)).rejects.toMatchObject({ line: 2, message: expect.stringMatching(/malformed JSON/) });

    await writeFile(file, [line(), line()].join('\n'));
    await expect(loadMath500(file)).rejects.toMatchObject({ line: 2, field: 'unique_id' });
  });

  it('says so when the file is missing or empty', async () => {
    const dir = await temporaryDir();
    await expect(loadMath500(join(dir, 'none.jsonl'))).rejects.toMatchObject({ code: 'DATA_FORMAT', line: 0 });
    await writeFile(join(dir, 'empty.jsonl'), '\n');
    await expect(loadMath500(join(dir, 'empty.jsonl'))).rejects.toMatchObject({ code: 'CONFIG' });
  });
});
