/** `loadTokenizer(dir)`: the character tokenizer or a Hugging Face tokenizer, whichever `dir/tokenizer.json` holds. */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError, type Tokenizer } from '@oreal-ts/core';
import { CHARACTER_TOKENIZER_TYPE, CharTokenizerFileSchema, charTokenizerFromFile } from './char-tokenizer';
import { createHuggingFaceTokenizer, type HuggingFaceTokenizerOptions } from './hf-tokenizer';

async function readJson(file: string): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new CheckpointError(file, `cannot read JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CheckpointError(file, 'must hold a JSON object');
  return parsed as Record<string, unknown>;
}

/**
 * Load `dir/tokenizer.json`: a character tokenizer when its `model.type` is `OrealCharacter`,
 * otherwise a Hugging Face tokenizer, with `dir/tokenizer_config.json` (special tokens, chat
 * template) when present.
 */
export async function loadTokenizer(dir: string, options: HuggingFaceTokenizerOptions = {}): Promise<Tokenizer> {
  const file = join(dir, 'tokenizer.json');
  const json = await readJson(file);
  const model = json['model'] as { type?: unknown } | undefined;
  if (model?.type === CHARACTER_TOKENIZER_TYPE) {
    const parsed = CharTokenizerFileSchema.safeParse(json);
    if (!parsed.success) throw new CheckpointError(file, `invalid character tokenizer: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return charTokenizerFromFile(parsed.data, file);
  }
  const configFile = join(dir, 'tokenizer_config.json');
  let config: Record<string, unknown> = {};
  try {
    await stat(configFile);
    config = await readJson(configFile);
  } catch (error) {
    if (CheckpointError.is(error)) throw error;
  }
  try {
    return createHuggingFaceTokenizer(json, config, options);
  } catch (error) {
    throw new CheckpointError(file, `not a tokenizer.json @huggingface/tokenizers can load: ${(error as Error).message}`, { cause: error });
  }
}
