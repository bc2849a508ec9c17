import type { z } from 'zod';
import { ConfigError, DataFormatError } from './errors';

/** Render zod issues as `path: message` fragments. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

/**
 * Parse a configuration value; on failure throw `ConfigError` naming the first bad field
 * (prefixed by `where`, e.g. `sampler`), the value and every issue.
 */
export function parseConfig<S extends z.ZodType>(schema: S, value: unknown, where = ''): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  const fieldPath = [where, ...(first?.path.map(String) ?? [])].filter(Boolean).join('.');
  const bad = first ? valueAt(value, first.path) : undefined;
  const message = `${first?.message ?? 'invalid'} (got ${preview(bad)})${
    result.error.issues.length > 1 ? `; also: ${formatIssues(result.error.issues.slice(1)).join('; ')}` : ''
  }`;
  throw new ConfigError(fieldPath, message);
}

/** Parse one data record; on failure throw `DataFormatError` naming file, line and field. */
export function parseRecord<S extends z.ZodType>(schema: S, value: unknown, file: string, line: number): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  const field = first?.path.map(String).join('.') || undefined;
  throw new DataFormatError(file, line, field, `${first?.message ?? 'invalid record'} (got ${preview(first ? valueAt(value, first.path) : value)})`);
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Short printable preview of a value for error messages. */
export function preview(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'nothing' : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
