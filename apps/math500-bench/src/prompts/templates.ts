import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError, parseConfig, type ChatMessage, type Problem } from '@oreal-ts/core';

/**
 * A benchmark prompt: chat messages (for chat endpoints), the same prompt rendered as raw text (for
 * completion endpoints and local checkpoints), and the stop strings that end an answer.
 */
export interface BenchmarkTemplate {
  readonly name: string;
  /** Chat messages for an OpenAI-compatible chat endpoint (the server applies its chat template). */
  messages(problem: Problem): ChatMessage[];
  /** The full raw prompt for completion endpoints and local samplers. */
  render(problem: Problem): string;
  /** Stop strings for raw-text sampling (kept at the end of the response). */
  readonly stop: readonly string[];
}

/** The instruction Qwen2.5-Math and DeepSeek-R1 use for MATH: step-by-step reasoning, final answer boxed. */
export const BOXED_INSTRUCTION = 'Please reason step by step, and put your final answer within \\boxed{}.';

function chatml(messages: readonly ChatMessage[]): string {
  return messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('') + '<|im_start|>assistant\n';
}

function qwenMessages(problem: Problem): ChatMessage[] {
  return [
    { role: 'system', content: BOXED_INSTRUCTION },
    { role: 'user', content: problem.question },
  ];
}

/** `qwen-boxed`: Qwen2.5-Math's CoT prompt — ChatML, the system message asks for the answer in `\boxed{}`. */
const qwenBoxed: BenchmarkTemplate = {
  name: 'qwen-boxed',
  messages: qwenMessages,
  render: (problem) => chatml(qwenMessages(problem)),
  stop: ['<|im_end|>', '<|endoftext|>'],
};

/**
 * `r1`: DeepSeek-R1's recommended usage — no system prompt, the instruction appended to the user turn,
 * and the assistant turn opened with `<think>\n` (R1's tokens: `<｜User｜>`, `<｜Assistant｜>`).
 */
const r1: BenchmarkTemplate = {
  name: 'r1',
  messages: (problem) => [{ role: 'user', content: `${problem.question}\n${BOXED_INSTRUCTION}` }],
  render: (problem) => `<｜begin▁of▁sentence｜><｜User｜>${problem.question}\n${BOXED_INSTRUCTION}<｜Assistant｜><think>\n`,
  stop: ['<｜end▁of▁sentence｜>'],
};

/** `plain`: no chat markup — the problem, the boxed instruction, then `Solution:`. */
const plain: BenchmarkTemplate = {
  name: 'plain',
  messages: (problem) => [{ role: 'user', content: `${problem.question}\n${BOXED_INSTRUCTION}` }],
  render: (problem) => `Problem: ${problem.question}\n${BOXED_INSTRUCTION}\n\nSolution:`,
  stop: [],
};

/** The built-in templates by name. */
export const BUILT_IN_TEMPLATES: Readonly<Record<string, BenchmarkTemplate>> = { 'qwen-boxed': qwenBoxed, r1, plain };

/**
 * A template file. JSON (`.json`): `{ "system"?: string, "user": string, "completion"?: string,
 * "stop"?: string[] }` where `user`/`completion` contain `{{problem}}`; `completion` is the raw prompt
 * (default: `system` + blank line + `user`). Any other file: its text is the raw prompt and the user
 * message, with `{{problem}}` replaced.
 */
export const TemplateFileSchema = z.object({
  system: z.string().optional(),
  user: z.string().includes('{{problem}}', { message: 'must contain {{problem}}' }),
  completion: z.string().includes('{{problem}}', { message: 'must contain {{problem}}' }).optional(),
  stop: z.array(z.string().min(1)).optional(),
});

function fill(template: string, problem: Problem): string {
  return template.split('{{problem}}').join(problem.question);
}

/** Build a template from a file (see `TemplateFileSchema`). */
export async function loadTemplateFile(file: string): Promise<BenchmarkTemplate> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError('template', `cannot read template file ${file}: ${(error as Error).message}`);
  }
  if (file.endsWith('.json')) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new ConfigError('template', `${file} is not valid JSON: ${(error as Error).message}`);
    }
    const spec = parseConfig(TemplateFileSchema, raw, 'template');
    return {
      name: file,
      messages: (problem) => [
        ...(spec.system === undefined ? [] : [{ role: 'system' as const, content: spec.system }]),
        { role: 'user' as const, content: fill(spec.user, problem) },
      ],
      render: (problem) =>
        spec.completion !== undefined
          ? fill(spec.completion, problem)
          : `${spec.system === undefined ? '' : `${spec.system}\n\n`}${fill(spec.user, problem)}`,
      stop: spec.stop ?? [],
    };
  }
  if (!text.includes('{{problem}}')) {
    throw new ConfigError('template', `${file} must contain the placeholder {{problem}} where the problem goes`);
  }
  return {
    name: file,
    messages: (problem) => [{ role: 'user', content: fill(text, problem) }],
    render: (problem) => fill(text, problem),
    stop: [],
  };
}

/** A built-in template by name, or a template file by path. */
export async function resolveTemplate(nameOrFile: string): Promise<BenchmarkTemplate> {
  const builtIn = BUILT_IN_TEMPLATES[nameOrFile];
  if (builtIn) return builtIn;
  if (/[./\\]/.test(nameOrFile)) return loadTemplateFile(nameOrFile);
  throw new ConfigError('template', `unknown template '${nameOrFile}'; use one of ${Object.keys(BUILT_IN_TEMPLATES).join(', ')} or a file path`);
}
