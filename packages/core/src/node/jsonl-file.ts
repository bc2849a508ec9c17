import { createReadStream } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { z } from 'zod';
import { DataFormatError } from '../errors';
import { parseJsonlLine, type JsonlRecord } from '../jsonl';

/**
 * Stream the records of a JSONL file, validating each with `schema` when given. Errors name the
 * file and line (`DataFormatError`); a missing file gives `DataFormatError` at line 0.
 */
export async function* readJsonl<S extends z.ZodType>(file: string, schema?: S): AsyncGenerator<JsonlRecord<z.output<S>>> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  try {
    await opened;
  } catch (error) {
    throw new DataFormatError(file, 0, undefined, `cannot read file: ${(error as Error).message}`, { cause: error });
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      const value = parseJsonlLine(text, file, line, schema);
      if (value !== undefined) yield { line, value: value as z.output<S> };
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** Read a whole JSONL file into memory (see `readJsonl`). */
export async function readJsonlFile<S extends z.ZodType>(file: string, schema?: S): Promise<JsonlRecord<z.output<S>>[]> {
  const out: JsonlRecord<z.output<S>>[] = [];
  for await (const record of readJsonl(file, schema)) out.push(record);
  return out;
}

/**
 * Appends records to a JSONL file, one `write` per record so a crash never leaves half a line
 * before a complete one. `flush()` fsyncs. Creates parent folders.
 */
export class JsonlWriter {
  private constructor(
    private readonly handle: FileHandle,
    readonly file: string,
  ) {}

  /** Open `file` for appending (or truncate first with `{ truncate: true }`). */
  static async open(file: string, options: { truncate?: boolean } = {}): Promise<JsonlWriter> {
    await mkdir(dirname(file), { recursive: true });
    const handle = await open(file, options.truncate ? 'w' : 'a');
    return new JsonlWriter(handle, file);
  }

  /** Append one record as a line. */
  async write(record: unknown): Promise<void> {
    await this.handle.write(JSON.stringify(record) + '\n');
  }

  /** Flush to disk. */
  async flush(): Promise<void> {
    await this.handle.sync();
  }

  /** Flush and close. */
  async close(): Promise<void> {
    await this.handle.sync().catch(() => undefined);
    await this.handle.close();
  }
}
