import type { ChatMessage, Problem, PromptTemplate, Tokenizer } from '@oreal-ts/core';

/**
 * Prompt rendering, the same rules as `@oreal-ts/sampler`'s LocalSampler (kept equivalent here
 * because packages meet only through core): a template's string as is; chat messages through the
 * tokenizer's chat template when it has one, else `System: …\n\nUser: …\n\nAssistant:`.
 */
export function renderPromptText(template: PromptTemplate, problem: Problem, tokenizer?: Pick<Tokenizer, 'applyChatTemplate'>): string {
  const prompt = template(problem);
  if (typeof prompt === 'string') return prompt;
  if (tokenizer?.applyChatTemplate) return tokenizer.applyChatTemplate(prompt, { addGenerationPrompt: true });
  const label = { system: 'System', user: 'User', assistant: 'Assistant' } as const;
  return `${prompt.map((m: ChatMessage) => `${label[m.role]}: ${m.content}`).join('\n\n')}\n\nAssistant:`;
}

/** Prompt ids: the tokenizer's encoding, with its BOS id prepended when it has one and encoding did not produce it (as LocalSampler). */
export function encodePromptIds(tokenizer: Tokenizer, text: string): number[] {
  const ids = tokenizer.encode(text);
  if (tokenizer.bosTokenId !== undefined && ids[0] !== tokenizer.bosTokenId) ids.unshift(tokenizer.bosTokenId);
  return ids;
}

/** `text` cut right after the earliest-ending stop string (the stop string kept), or unchanged. */
export function cutAtStop(text: string, stops: readonly string[]): string {
  let end = -1;
  for (const stop of stops) {
    const at = text.indexOf(stop);
    if (at >= 0 && (end < 0 || at + stop.length < end)) end = at + stop.length;
  }
  return end < 0 ? text : text.slice(0, end);
}
