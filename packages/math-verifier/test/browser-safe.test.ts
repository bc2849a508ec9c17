import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const sourceRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return name === 'pool' ? [] : sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('main entry is browser-safe', () => {
  it('imports no Node built-in and no require outside src/pool', () => {
    const offenders = sourceFiles(sourceRoot).filter((file) => {
      const text = readFileSync(file, 'utf8');
      return /from\s+['"]node:|import\(\s*['"]node:|\brequire\(|\bprocess\./.test(text);
    });
    expect(offenders.map((file) => relative(sourceRoot, file))).toEqual([]);
  });
});
