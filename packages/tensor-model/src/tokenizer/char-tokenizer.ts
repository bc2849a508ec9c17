/**
 * A character tokenizer for the built-in tasks: ids 0…S−1 are the special tokens (the first is
 * EOS), then one id per character of `characters`. Saved as a `tokenizer.json`-style file whose
 * `model.type` is `OrealCharacter` (see `loadTokenizer`).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { InvalidArgumentError, type Tokenizer } from '@oreal-ts/core';
import { writeJsonAtomic } from '@oreal-ts/core/node';

/** `model.type` marking our character tokenizer in a tokenizer.json. */
export const CHARACTER_TOKENIZER_TYPE = 'OrealCharacter';

/** Options of `createCharTokenizer`. */
export interface CharTokenizerOptions {
  /** Every character the tokenizer knows, each once (code points; order fixes the ids). */
  readonly characters: string;
  /** Special tokens, ids 0…S−1; the first is EOS. Default `['<eos>']`. */
  readonly specialTokens?: readonly string[];
  /** Component id. Default `oreal-ts/char-tokenizer`. */
  readonly id?: string;
}

/** A character tokenizer that can save itself. */
export interface CharTokenizer extends Tokenizer {
  readonly eosTokenId: number;
  readonly padTokenId: number;
  readonly characters: string;
  readonly specialTokens: readonly string[];
  /** Write `dir/tokenizer.json` (atomically). */
  save(dir: string): Promise<void>;
}

/** The tokenizer.json layout of a character tokenizer. */
export const CharTokenizerFileSchema = z.object({
  version: z.string(),
  added_tokens: z.array(z.object({ id: z.number().int().min(0), content: z.string().min(1), special: z.boolean() })),
  model: z.object({ type: z.literal(CHARACTER_TOKENIZER_TYPE), vocab: z.record(z.string(), z.number().int().min(0)) }),
});

/** Create a character tokenizer (unknown characters in `encode` throw `InvalidArgumentError`). */
export function createCharTokenizer(options: CharTokenizerOptions): CharTokenizer {
  const specialTokens = [...(options.specialTokens ?? ['<eos>'])];
  if (specialTokens.length === 0) throw new InvalidArgumentError('specialTokens', 'needs at least one token (the first is EOS)');
  if (new Set(specialTokens).size !== specialTokens.length) throw new InvalidArgumentError('specialTokens', 'contains duplicates');
  if (specialTokens.some((token) => token.length === 0)) throw new InvalidArgumentError('specialTokens', 'contains an empty token');
  const characters = Array.from(options.characters);
  const seen = new Set<string>();
  for (const character of characters) {
    if (seen.has(character)) throw new InvalidArgumentError('characters', `character ${JSON.stringify(character)} appears twice`);
    seen.add(character);
  }
  const byCharacter = new Map<string, number>();
  characters.forEach((character, i) => byCharacter.set(character, specialTokens.length + i));
  const byId = [...specialTokens, ...characters];
  // Longest special tokens first, so "<eos>" wins over a shorter prefix token.
  const specialsByLength = specialTokens.map((token, id) => ({ token, id })).sort((a, b) => b.token.length - a.token.length);

  return {
    specificationVersion: 'v1',
    id: options.id ?? 'oreal-ts/char-tokenizer',
    vocabSize: byId.length,
    eosTokenId: 0,
    padTokenId: 0,
    characters: characters.join(''),
    specialTokens,
    encode(text: string): number[] {
      const ids: number[] = [];
      const points = Array.from(text);
      let offset = 0; // in UTF-16 units, for startsWith
      for (let i = 0; i < points.length; ) {
        const special = specialsByLength.find(({ token }) => text.startsWith(token, offset));
        if (special) {
          ids.push(special.id);
          const count = Array.from(special.token).length;
          for (let k = 0; k < count; k++) offset += (points[i + k] as string).length;
          i += count;
          continue;
        }
        const character = points[i] as string;
        const id = byCharacter.get(character);
        if (id === undefined) {
          throw new InvalidArgumentError('text', `character ${JSON.stringify(character)} at index ${i} is not in the tokenizer's alphabet ${JSON.stringify(characters.join(''))}`);
        }
        ids.push(id);
        offset += character.length;
        i += 1;
      }
      return ids;
    },
    decode(ids: readonly number[], decodeOptions?: { skipSpecialTokens?: boolean }): string {
      let out = '';
      for (const id of ids) {
        if (!Number.isInteger(id) || id < 0 || id >= byId.length) throw new InvalidArgumentError('ids', `id ${id} is not in [0, ${byId.length})`);
        if (id < specialTokens.length && decodeOptions?.skipSpecialTokens) continue;
        out += byId[id] as string;
      }
      return out;
    },
    async save(dir: string): Promise<void> {
      const file: z.input<typeof CharTokenizerFileSchema> & Record<string, unknown> = {
        version: '1.0',
        added_tokens: specialTokens.map((content, id) => ({ id, content, special: true })),
        model: { type: CHARACTER_TOKENIZER_TYPE, vocab: Object.fromEntries(characters.map((c) => [c, byCharacter.get(c) as number])) },
      };
      await writeJsonAtomic(join(dir, 'tokenizer.json'), file);
    },
  };
}

/** Rebuild a character tokenizer from its parsed tokenizer.json. */
export function charTokenizerFromFile(file: z.output<typeof CharTokenizerFileSchema>, where: string): CharTokenizer {
  const specials = [...file.added_tokens].sort((a, b) => a.id - b.id);
  specials.forEach((token, i) => {
    if (token.id !== i) throw new InvalidArgumentError(where, `added_tokens ids must be 0…${specials.length - 1}; found ${token.id}`);
  });
  const characters = Object.entries(file.model.vocab).sort((a, b) => a[1] - b[1]);
  characters.forEach(([character, id], i) => {
    if (id !== specials.length + i) throw new InvalidArgumentError(where, `vocab id of ${JSON.stringify(character)} is ${id}, expected ${specials.length + i}`);
  });
  return createCharTokenizer({ characters: characters.map(([c]) => c).join(''), specialTokens: specials.map((token) => token.content) });
}
