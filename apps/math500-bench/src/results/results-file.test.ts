import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataFormatError } from '@oreal-ts/core';
import { temporaryDir } from '../../test/helpers';
import type { ResultRecord } from './result-record';
import { loadResults, ResultsWriter } from './results-file';

const record = (id: string, sample: number): ResultRecord => ({
  unique_id: id,
  sample,
  model: 'm',
  subject: 'Algebra',
  level: 2,
  response: 'so \\boxed{3}',
  finish_reason: 'stop',
  correct: true,
  reason: 'string-equal',
  gold: '3',
  predicted: '3',
  response_tokens: null,
  response_chars: 12,
});

describe('results file', () => {
  it('reads nothing from a missing file and round-trips appended records', async () => {
    const file = join(await temporaryDir(), 'sub', 'results.jsonl');
    expect((await loadResults(file)).records).toEqual([]);
    const writer = await ResultsWriter.open(file);
    await Promise.all([writer.write(record('a', 0)), writer.write(record('a', 1)), writer.write(record('b', 0))]);
    await writer.close();
    const loaded = await loadResults(file);
    expect(loaded.records.map((r) => `${r.unique_id}/${r.sample}`)).toEqual(['a/0', 'a/1', 'b/0']);
    expect(loaded.repairedTornLine).toBe(false);
  });

  it('cuts a torn last line (a write cut by a kill) so the next append starts clean', async () => {
    const file = join(await temporaryDir(), 'results.jsonl');
    const full = JSON.stringify(record('a', 0)) + '\n';
    const torn = JSON.stringify(record('a', 1)).slice(0, 40);
    await writeFile(file, full + torn);
    const loaded = await loadResults(file);
    expect(loaded.repairedTornLine).toBe(true);
    expect(loaded.records).toHaveLength(1);
    expect(await readFile(file, 'utf8')).toBe(full);
    const writer = await ResultsWriter.open(file);
    await writer.write(record('a', 1));
    await writer.close();
    expect((await loadResults(file)).records.map((r) => r.sample)).toEqual([0, 1]);
  });

  it('keeps a complete last record that lost only its newline, and ignores duplicate keys', async () => {
    const file = join(await temporaryDir(), 'results.jsonl');
    await writeFile(file, JSON.stringify(record('a', 0)) + '\n' + JSON.stringify(record('a', 0)) + '\n' + JSON.stringify(record('b', 3)));
    const loaded = await loadResults(file);
    expect(loaded.repairedTornLine).toBe(false);
    expect(loaded.duplicates).toBe(1);
    expect(loaded.records.map((r) => `${r.unique_id}/${r.sample}`)).toEqual(['a/0', 'b/3']);
    await appendFile(file, JSON.stringify(record('c', 0)) + '\n');
    expect((await loadResults(file)).records).toHaveLength(3);
  });

  it('refuses a corrupt line in the middle, naming file, line and field', async () => {
    const file = join(await temporaryDir(), 'results.jsonl');
    const bad = { ...record('a', 1), sample: -1 };
    await writeFile(file, [record('a', 0), bad, record('a', 2)].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const error = await loadResults(file).catch((e: unknown) => e);
    expect(DataFormatError.is(error)).toBe(true);
    expect(error).toMatchObject({ file, line: 2, field: 'sample' });
  });
});
