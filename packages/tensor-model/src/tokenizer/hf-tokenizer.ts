/**
 * A Hugging Face `tokenizer.json` tokenizer (via `@huggingface/tokenizers`, pure JS) with the chat
 * template of `tokenizer_config.json` rendered by `@huggingface/jinja`.
 */
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { Template } from '@huggingface/jinja';
import { InvalidArgumentError, type ChatMessage, type Tokenizer } from '@oreal-ts/core';

/** Options of `createHuggingFaceTokenizer`. */
export interface HuggingFaceTokenizerOptions {
  /** Add the special tokens of the tokenizer's post-processor template (e.g. Llama's BOS) in `encode`. Default true. */
  readonly addSpecialTokens?: boolean;
  /** Component id. Default `oreal-ts/hf-tokenizer`. */
  readonly id?: string;
}

function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

function chatTemplateOf(config: Record<string, unknown>): string | undefined {
  const template = config['chat_template'];
  if (typeof template === 'string') return template;
  if (Array.isArray(template)) {
    const named = template as { name?: unknown; template?: unknown }[];
    const chosen = named.find((t) => t.name === 'default') ?? named[0];
    return typeof chosen?.template === 'string' ? chosen.template : undefined;
  }
  return undefined;
}

/** Build a tokenizer from parsed `tokenizer.json` and (optional) `tokenizer_config.json` objects. */
export function createHuggingFaceTokenizer(
  tokenizerJson: Record<string, unknown>,
  tokenizerConfig: Record<string, unknown> = {},
  options: HuggingFaceTokenizerOptions = {},
): Tokenizer {
  const tokenizer = new HfTokenizer(tokenizerJson, tokenizerConfig);
  const vocabulary = tokenizer.get_vocab(true);
  let vocabSize = 0;
  for (const id of vocabulary.values()) vocabSize = Math.max(vocabSize, id + 1);
  const idOf = (key: string): number | undefined => {
    const content = tokenContent(tokenizerConfig[key]);
    return content === undefined ? undefined : tokenizer.token_to_id(content);
  };
  const eosTokenId = idOf('eos_token');
  const bosTokenId = idOf('bos_token');
  const bosText = tokenContent(tokenizerConfig['bos_token']);
  const padTokenId = idOf('pad_token');
  const templateText = chatTemplateOf(tokenizerConfig);
  const template = templateText === undefined ? undefined : new Template(templateText);
  const addSpecialTokens = options.addSpecialTokens ?? true;
  const model = tokenizerJson['model'] as { unk_token?: unknown } | undefined;
  const unknownToken = typeof model?.unk_token === 'string' ? tokenizer.token_to_id(model.unk_token) : undefined;

  const result: Tokenizer = {
    specificationVersion: 'v1',
    id: options.id ?? 'oreal-ts/hf-tokenizer',
    vocabSize,
    ...(eosTokenId === undefined ? {} : { eosTokenId }),
    ...(bosTokenId === undefined ? {} : { bosTokenId }),
    ...(padTokenId === undefined ? {} : { padTokenId }),
    encode(text: string): number[] {
      // A chat template that already emits the BOS text (Llama 3) plus a post-processor that adds BOS
      // would give two BOS tokens; like `transformers`' chat path, add no second one.
      const templatedBos = bosText !== undefined && bosText !== '' && text.startsWith(bosText);
      const encoded = tokenizer.encode(text, { add_special_tokens: addSpecialTokens && !templatedBos });
      // @huggingface/tokenizers 0.2 leaves unknown words of a WordLevel model as `undefined`;
      // map them to the model's unk_token as the Rust library does.
      return encoded.ids.map((id, i) => {
        if (typeof id === 'number') return id;
        if (unknownToken !== undefined) return unknownToken;
        throw new InvalidArgumentError('text', `token ${JSON.stringify(encoded.tokens[i])} has no id and the tokenizer has no unk_token`);
      });
    },
    decode(ids: readonly number[], decodeOptions?: { skipSpecialTokens?: boolean }): string {
      if (ids.length === 0) return ''; // @huggingface/tokenizers throws on an empty list
      return tokenizer.decode([...ids], { skip_special_tokens: decodeOptions?.skipSpecialTokens ?? false });
    },
  };
  if (template) {
    result.applyChatTemplate = (
      messages: readonly ChatMessage[],
      chatOptions?: { addGenerationPrompt?: boolean; templateVariables?: Readonly<Record<string, unknown>> },
    ): string => {
      try {
        return template.render({
          ...chatOptions?.templateVariables,
          messages: messages.map((m) => ({ role: m.role, content: m.content })),
          add_generation_prompt: chatOptions?.addGenerationPrompt ?? false,
          bos_token: tokenContent(tokenizerConfig['bos_token']) ?? '',
          eos_token: tokenContent(tokenizerConfig['eos_token']) ?? '',
          pad_token: tokenContent(tokenizerConfig['pad_token']) ?? '',
        });
      } catch (error) {
        throw new InvalidArgumentError('messages', `chat template failed to render: ${(error as Error).message}`);
      }
    };
  }
  return result;
}
