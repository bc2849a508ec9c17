import type { PromptTemplate } from '@oreal-ts/core';
import { chatPrompt, plainPrompt, questionOnlyPrompt } from '@oreal-ts/sampler';

/** Names of the prompt templates a config may choose (`data.promptTemplate`). */
export type PromptTemplateName = 'question' | 'plain' | 'chat';

/** The prompt template for a config name; SFT, local and HTTP sampling all use the same one. */
export function promptTemplateFor(name: PromptTemplateName): PromptTemplate {
  switch (name) {
    case 'question':
      return questionOnlyPrompt;
    case 'plain':
      return plainPrompt;
    case 'chat':
      return chatPrompt();
  }
}
