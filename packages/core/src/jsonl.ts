import type { z } from 'zod';
import { DataFormatError } from './errors';
import { parseRecord } from './validation';

/** One parsed JSONL record with its 1-based line number. */
export interface JsonlRecord<T> {
  readonly line: number;
  readonly value: T;
}

/**
 * Parse one JSONL line. Blank lines give `undefined`. Malformed JSON, or a record the optional
 * schema rejects, throws `DataFormatError` naming `file` and `line` (and the field).
 */
export function parseJsonlLine<S extends z.ZodType>(
  text: string,
  file: string,
  line: number,
  schema?: S,
): (S extends z.ZodType ? z.output<S> : unknown) | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    throw new DataFormatError(file, line, undefined, `malformed JSON: ${(error as Error).message}`, { cause: error });
  }
  return (schema ? parseRecord(schema, value, file, line) : value) as never;
}

/** Parse a whole JSONL text (see `parseJsonlLine`). */
export function parseJsonl<S extends z.ZodType>(text: string, file: string, schema?: S): JsonlRecord<z.output<S>>[] {
  const out: JsonlRecord<z.output<S>>[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const value = parseJsonlLine(lines[i] as string, file, i + 1, schema);
    if (value !== undefined) out.push({ line: i + 1, value: value as z.output<S> });
  }
  return out;
}

/** Serialise records as JSONL (one JSON object per line, trailing newline). */
export function toJsonl(records: readonly unknown[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '');
}
