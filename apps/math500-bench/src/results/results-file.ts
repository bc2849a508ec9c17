import { open, readFile, truncate } from 'node:fs/promises';
import { parseJsonlLine } from '@oreal-ts/core';
import { JsonlWriter } from '@oreal-ts/core/node';
import { ResultRecordSchema, resultKey, type ResultRecord } from './result-record';

/** What `loadResults` found in an existing results file. */
export interface LoadedResults {
  /** Valid records, first occurrence of each key only, in file order. */
  readonly records: ResultRecord[];
  /** Keys (`resultKey`) of the records. */
  readonly done: Set<string>;
  /** A torn last line (a write cut by a kill) was found and removed from the file. */
  readonly repairedTornLine: boolean;
  /** Records dropped because their key was already present. */
  readonly duplicates: number;
}

/**
 * Read `results.jsonl` for resuming. A missing file is an empty result. A last line without its newline
 * is the trace of a killed write: if it is not a complete valid record it is cut off the file (so the
 * next append starts on a clean line); if it is, the missing newline is added. Any other bad line is a
 * `DataFormatError` naming file, line and field — a results file is never silently rewritten.
 */
export async function loadResults(file: string): Promise<LoadedResults> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], done: new Set(), repairedTornLine: false, duplicates: 0 };
    throw error;
  }
  const lines = text.split('\n');
  const tail = lines.pop() as string; // '' when the file ends with a newline
  let repairedTornLine = false;
  let tailRecord: ResultRecord | undefined;
  if (tail.trim() !== '') {
    try {
      tailRecord = parseJsonlLine(tail, file, lines.length + 1, ResultRecordSchema);
    } catch {
      tailRecord = undefined;
    }
    const cleanLength = Buffer.byteLength(text, 'utf8') - Buffer.byteLength(tail, 'utf8');
    if (tailRecord) {
      const handle = await open(file, 'a');
      await handle.write('\n');
      await handle.close();
    } else {
      await truncate(file, cleanLength);
      repairedTornLine = true;
    }
  }
  const records: ResultRecord[] = [];
  const done = new Set<string>();
  let duplicates = 0;
  const keep = (record: ResultRecord): void => {
    const key = resultKey(record.unique_id, record.sample);
    if (done.has(key)) {
      duplicates++;
      return;
    }
    done.add(key);
    records.push(record);
  };
  lines.forEach((line, i) => {
    const record = parseJsonlLine(line, file, i + 1, ResultRecordSchema);
    if (record) keep(record);
  });
  if (tailRecord) keep(tailRecord);
  return { records, done, repairedTornLine, duplicates };
}

/** Appends graded samples to `results.jsonl`, one line per `write`, fsynced every `flushEvery` records. */
export class ResultsWriter {
  private pending = 0;
  private chain: Promise<void> = Promise.resolve();
  private constructor(
    private readonly writer: JsonlWriter,
    private readonly flushEvery: number,
  ) {}

  /** Open `file` for appending (`truncate: true` starts it afresh). */
  static async open(file: string, options: { truncate?: boolean; flushEvery?: number } = {}): Promise<ResultsWriter> {
    return new ResultsWriter(await JsonlWriter.open(file, { truncate: options.truncate }), options.flushEvery ?? 64);
  }

  /** Append one record. Concurrent calls are serialised, so lines never interleave. */
  write(record: ResultRecord): Promise<void> {
    const next = this.chain.then(async () => {
      await this.writer.write(record);
      if (++this.pending >= this.flushEvery) {
        this.pending = 0;
        await this.writer.flush();
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Wait for pending writes, flush and close. */
  async close(): Promise<void> {
    await this.chain;
    await this.writer.close();
  }
}
