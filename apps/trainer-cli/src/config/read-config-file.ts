import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from '@oreal-ts/core';
import type { ConfigTree } from './overrides';

/**
 * Read a YAML (`.yaml`/`.yml`) or JSON (`.json`) config file into a plain tree. A missing file,
 * a syntax error (with line and column) or a top level that is not a mapping throws `ConfigError`
 * naming the file.
 */
export async function readConfigFile(file: string): Promise<ConfigTree> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      '--config',
      `cannot read ${file}: ${(error as Error).message}; pass an existing YAML or JSON file`,
      { cause: error },
    );
  }
  const extension = extname(file).toLowerCase();
  let value: unknown;
  if (extension === '.json') {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ConfigError('--config', `${file} is not valid JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
  } else {
    const document = parseDocument(text, { prettyErrors: true });
    const first = document.errors[0];
    if (first) {
      const where = first.linePos?.[0];
      throw new ConfigError(
        '--config',
        `${file}${where ? `:${where.line}:${where.col}` : ''} is not valid YAML: ${first.message.split('\n')[0]}`,
      );
    }
    value = document.toJS();
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(
      '--config',
      `${file} must hold a mapping of sections (model, sampler, trainer, …), got ${Array.isArray(value) ? 'a list' : typeof value}`,
    );
  }
  return value as ConfigTree;
}
