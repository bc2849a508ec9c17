import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, InvalidArgumentError } from '@oreal-ts/core';
import { createCharTokenizer } from './char-tokenizer';
import { loadTokenizer } from './load-tokenizer';
import { createHuggingFaceTokenizer } from './hf-tokenizer';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tensor-model-tokenizer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createCharTokenizer', () => {
  const tokenizer = createCharTokenizer({ characters: '0123456789+=é', specialTokens: ['<eos>', '<pad>'] });

  it('puts special tokens first (EOS = 0) and round-trips text, special tokens included', () => {
    expect(tokenizer.vocabSize).toBe(15);
    expect(tokenizer.eosTokenId).toBe(0);
    const ids = tokenizer.encode('12+3=15<eos>');
    expect(ids).toEqual([3, 4, 12, 5, 13, 3, 7, 0]);
    expect(tokenizer.decode(ids)).toBe('12+3=15<eos>');
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe('12+3=15');
    expect(tokenizer.decode(tokenizer.encode('é<pad>'))).toBe('é<pad>');
  });

  it('names an unknown character and rejects bad alphabets', () => {
    expect(() => tokenizer.encode('1*2')).toThrow(/"\*" at index 1/);
    expect(() => createCharTokenizer({ characters: 'aba' })).toThrow(InvalidArgumentError);
    expect(() => createCharTokenizer({ characters: 'ab', specialTokens: [] })).toThrow(/at least one/);
  });

  it('saves a tokenizer.json that loadTokenizer reads back', async () => {
    await tokenizer.save(join(dir, 'char'));
    const loaded = await loadTokenizer(join(dir, 'char'));
    expect(loaded.vocabSize).toBe(tokenizer.vocabSize);
    expect(loaded.eosTokenId).toBe(0);
    expect(loaded.encode('9=9<eos>')).toEqual(tokenizer.encode('9=9<eos>'));
  });
});

describe('loadTokenizer with a Hugging Face tokenizer.json', () => {
  // A tiny word-level tokenizer in the real tokenizer.json format, with a Qwen-style chat template.
  const vocab: Record<string, number> = { '<unk>': 0, '<|im_start|>': 1, '<|im_end|>': 2, hello: 3, world: 4, user: 5, assistant: 6, system: 7, '\n': 8 };
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: 0, content: '<unk>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 1, content: '<|im_start|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 2, content: '<|im_end|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
  };
  const tokenizerConfig = {
    eos_token: '<|im_end|>',
    pad_token: '<|im_end|>',
    bos_token: null,
    chat_template:
      "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
  };

  it('encodes, decodes, finds special tokens and renders the chat template', async () => {
    const where = join(dir, 'hf');
    await rm(where, { recursive: true, force: true });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(where, { recursive: true });
    await writeFile(join(where, 'tokenizer.json'), JSON.stringify(tokenizerJson));
    await writeFile(join(where, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));
    const tokenizer = await loadTokenizer(where);
    expect(tokenizer.vocabSize).toBe(9);
    expect(tokenizer.eosTokenId).toBe(2);
    expect(tokenizer.padTokenId).toBe(2);
    expect(tokenizer.bosTokenId).toBeUndefined();
    expect(tokenizer.encode('hello world')).toEqual([3, 4]);
    expect(tokenizer.encode('hello mars')).toEqual([3, 0]);
    expect(tokenizer.decode([3, 4, 2], { skipSpecialTokens: true })).toBe('hello world');
    const prompt = tokenizer.applyChatTemplate?.([{ role: 'user', content: 'hello' }], { addGenerationPrompt: true });
    expect(prompt).toBe('<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n');
    expect(tokenizer.encode(prompt as string)).toEqual([1, 5, 3, 2, 1, 6]);
  });

  it('refuses a directory without a readable tokenizer.json', async () => {
    await expect(loadTokenizer(join(dir, 'nothing'))).rejects.toSatisfy((e) => CheckpointError.is(e));
  });
});

describe('createHuggingFaceTokenizer: BOS, empty decode and template variables', () => {
  // A Llama-3-style tokenizer: the post-processor adds <|begin_of_text|> on encode and the chat template emits it too.
  const vocab: Record<string, number> = { '<unk>': 0, '<|begin_of_text|>': 1, '<|eot_id|>': 2, hello: 3, user: 4, think: 5, tools: 6, ':': 7 };
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<unk>'), special(1, '<|begin_of_text|>'), special(2, '<|eot_id|>')],
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [1], tokens: ['<|begin_of_text|>'] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
  };
  const tokenizerConfig = {
    bos_token: '<|begin_of_text|>',
    eos_token: '<|eot_id|>',
    chat_template:
      "{{ bos_token }}{% if tools %}tools : {{ tools | length }} {% endif %}{% if enable_thinking %}think {% endif %}{% for m in messages %}{{ m['role'] + ' : ' + m['content'] + '<|eot_id|>' }}{% endfor %}",
  };
  const tokenizer = createHuggingFaceTokenizer(tokenizerJson, tokenizerConfig);

  it('adds BOS to plain text once, and not again when the chat template already emitted it', () => {
    expect(tokenizer.encode('hello')).toEqual([1, 3]);
    const prompt = tokenizer.applyChatTemplate?.([{ role: 'user', content: 'hello' }]) as string;
    expect(prompt.startsWith('<|begin_of_text|>')).toBe(true);
    const ids = tokenizer.encode(prompt);
    expect(ids.filter((id) => id === 1)).toHaveLength(1);
    expect(ids).toEqual([1, 4, 7, 3, 2]);
  });

  it('decodes an empty list to the empty string', () => {
    expect(tokenizer.decode([])).toBe('');
    expect(tokenizer.decode([], { skipSpecialTokens: true })).toBe('');
  });

  it('passes extra template variables (enable_thinking, tools, any keyword) to the template', () => {
    const messages = [{ role: 'user' as const, content: 'hello' }];
    const plain = tokenizer.applyChatTemplate?.(messages);
    const thinking = tokenizer.applyChatTemplate?.(messages, { templateVariables: { enable_thinking: true } });
    const withTools = tokenizer.applyChatTemplate?.(messages, { templateVariables: { tools: [{ name: 'a' }, { name: 'b' }], enable_thinking: false } });
    expect(plain).toBe('<|begin_of_text|>user : hello<|eot_id|>');
    expect(thinking).toBe('<|begin_of_text|>think user : hello<|eot_id|>');
    expect(withTools).toBe('<|begin_of_text|>tools : 2 user : hello<|eot_id|>');
  });
});
