import type { Component } from './version';

/** One chat message, OpenAI style. */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** Text ↔ token ids. */
export interface Tokenizer extends Component {
  /** Number of token ids (the model's vocabulary size must be at least this). */
  readonly vocabSize: number;
  /** End-of-sequence token id (the usual stop token), if any. */
  readonly eosTokenId?: number;
  /** Beginning-of-sequence token id, if the model expects one. */
  readonly bosTokenId?: number;
  /** Padding token id, if any (models mask padding, so any id works). */
  readonly padTokenId?: number;
  /** Token ids of `text` (no special tokens added unless the tokenizer's template says so). */
  encode(text: string): number[];
  /** Text of `ids`; special tokens are kept unless `skipSpecialTokens`. */
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  /**
   * Render chat messages into a prompt string with the model's chat template, when it has one.
   * `templateVariables` (e.g. `enable_thinking`, `tools`) are passed to the template as extra keywords, as
   * Hugging Face's `apply_chat_template(**kwargs)` does.
   */
  applyChatTemplate?(messages: readonly ChatMessage[], options?: { addGenerationPrompt?: boolean; templateVariables?: Readonly<Record<string, unknown>> }): string;
}
