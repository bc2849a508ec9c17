import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFormatError } from './errors';
import { parseJsonl, toJsonl } from './jsonl';
import { ProblemSchema } from './schemas';
import { JsonlWriter, readJsonlFile } from './node/index';

describe('JSONL', () => {
  it('round-trips records and skips blank lines', () => {
    const records = [{ a: 1 }, { b: 'x' }];
    expect(parseJsonl(toJsonl(records) + '\n\n', 'mem.jsonl').map((r) => r.value)).toEqual(records);
  });

  it('a malformed line throws DataFormatError naming file and line', () => {
    const text = '{"a":1}\n{"a":\n';
    expect(() => parseJsonl(text, 'bad.jsonl')).toThrow(DataFormatError);
    try {
      parseJsonl(text, 'bad.jsonl');
    } catch (error) {
      expect(error).toMatchObject({ file: 'bad.jsonl', line: 2 });
      expect((error as Error).message).toMatch(/^bad\.jsonl:2: malformed JSON/);
    }
  });

  it('a record failing the schema names file, line and field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oreal-jsonl-'));
    const file = join(dir, 'problems.jsonl');
    await writeFile(file, '{"id":"a","question":"1+1?","answer":"2"}\n{"id":"b","question":"2+2?","answer":4}\n');
    await expect(readJsonlFile(file, ProblemSchema)).rejects.toMatchObject({ file, line: 2, field: 'answer' });
  });

  it('a missing file is reported as a DataFormatError at line 0', async () => {
    await expect(readJsonlFile('/nonexistent/x.jsonl')).rejects.toMatchObject({ code: 'DATA_FORMAT', line: 0 });
  });

  it('JsonlWriter appends whole lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oreal-jsonl-'));
    const file = join(dir, 'sub', 'out.jsonl');
    const w = await JsonlWriter.open(file);
    await w.write({ i: 1 });
    await w.write({ i: 2 });
    await w.close();
    const again = await JsonlWriter.open(file);
    await again.write({ i: 3 });
    await again.close();
    expect(await readFile(file, 'utf8')).toBe('{"i":1}\n{"i":2}\n{"i":3}\n');
  });
});
