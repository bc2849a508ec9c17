import type { ChatMessage, Problem, PromptTemplate, Tokenizer } from '@oreal-ts/core';

/** The instruction appended by the default templates (OREAL's prompts ask for a boxed final answer). */
export const BOXED_INSTRUCTION = 'Please reason step by step, and put your final answer within \\boxed{}.';

/**
 * Default completion-style template: the question, a blank line, then the boxed-answer instruction.
 * Suits base models and tiny char-level models trained here.
 */
export const plainPrompt: PromptTemplate = (problem: Problem) =>
  `${problem.question}\n\n${BOXED_INSTRUCTION}`;

/** Chat template: one user message holding the question and the boxed-answer instruction (optional system prompt). */
export function chatPrompt(options: { system?: string } = {}): PromptTemplate {
  return (problem: Problem) => [
    ...(options.system === undefined ? [] : [{ role: 'system' as const, content: options.system }]),
    { role: 'user' as const, content: `${problem.question}\n\n${BOXED_INSTRUCTION}` },
  ];
}

/** The question alone, verbatim (for models trained on bare questions, and for `oreal serve`). */
export const questionOnlyPrompt: PromptTemplate = (problem: Problem) => problem.question;

/**
 * Plain-text rendering of chat messages for models without a chat template:
 * `System: …\n\nUser: …\n\nAssistant:` (the generation prompt is the trailing `Assistant:`).
 */
export function renderMessagesAsText(messages: readonly ChatMessage[], addGenerationPrompt = true): string {
  const label = { system: 'System', user: 'User', assistant: 'Assistant' } as const;
  const body = messages.map((m) => `${label[m.role]}: ${m.content}`).join('\n\n');
  return addGenerationPrompt ? `${body}\n\nAssistant:` : body;
}

/**
 * The prompt string a local model sees for `problem`: a template's string as is; chat messages
 * through the tokenizer's chat template when it has one, else `renderMessagesAsText`.
 */
export function renderPrompt(
  template: PromptTemplate,
  problem: Problem,
  tokenizer?: Pick<Tokenizer, 'applyChatTemplate'>,
): string {
  const prompt = template(problem);
  if (typeof prompt === 'string') return prompt;
  return tokenizer?.applyChatTemplate
    ? tokenizer.applyChatTemplate(prompt, { addGenerationPrompt: true })
    : renderMessagesAsText(prompt);
}
