import {
  ConfigError,
  InvalidArgumentError,
  SeededRng,
  hashString,
  parseConfig,
  type Problem,
} from '@oreal-ts/core';
import { generateAddition } from './addition';
import { generateFraction } from './fraction';
import { generateLinearEquation } from './linear-equation';
import { generateMultiplication } from './multiplication';
import { generateSubtraction } from './subtraction';
import {
  TASK_FAMILIES,
  TaskDifficultySchema,
  type TaskDifficulty,
  type TaskFamily,
  type TaskGenerator,
  type TaskSplit,
} from './task-family';

const GENERATORS: Readonly<Record<TaskFamily, TaskGenerator>> = {
  addition: generateAddition,
  subtraction: generateSubtraction,
  multiplication: generateMultiplication,
  'linear-equation': generateLinearEquation,
  fraction: generateFraction,
};

/** Share of every family's problem space that belongs to the test split (by content hash). */
export const TEST_SPLIT_SHARE = 0.2;

/**
 * The split a problem belongs to, from a hash of its family and question alone — so train and
 * test never share a problem, whatever the seeds, counts or difficulty knobs of the two calls.
 */
export function splitOf(family: TaskFamily, question: string): TaskSplit {
  return hashString(`oreal-ts/task-split:${family}:${question}`) % 1000 < TEST_SPLIT_SHARE * 1000
    ? 'test'
    : 'train';
}

/** Options of `generateProblems`. */
export interface GenerateProblemsOptions {
  readonly family: TaskFamily;
  /** Number of distinct problems. */
  readonly count: number;
  readonly seed: number;
  readonly split: TaskSplit;
  readonly difficulty?: TaskDifficulty;
}

/**
 * Distinct, seeded problems of one built-in family, all from `split`. Each has a short
 * step-by-step `solution` ending in `\boxed{answer}`; ids are `<family>:<question>`.
 * Throws `ConfigError` for bad knobs and `InvalidArgumentError` when the knobs allow fewer
 * distinct problems of that split than `count`.
 */
export function generateProblems(options: GenerateProblemsOptions): Problem[] {
  const { family, count, seed, split } = options;
  if (!TASK_FAMILIES.includes(family)) {
    throw new ConfigError(
      'family',
      `unknown task family ${JSON.stringify(family)}; use one of ${TASK_FAMILIES.join(', ')}`,
    );
  }
  if (split !== 'train' && split !== 'test')
    throw new ConfigError('split', `must be "train" or "test" (got ${JSON.stringify(split)})`);
  if (!Number.isInteger(count) || count < 0)
    throw new ConfigError('count', `must be a non-negative integer (got ${JSON.stringify(count)})`);
  const difficulty = parseConfig(TaskDifficultySchema, options.difficulty ?? {}, 'difficulty');
  if (
    difficulty.minDigits !== undefined &&
    difficulty.maxDigits !== undefined &&
    difficulty.minDigits > difficulty.maxDigits
  ) {
    throw new ConfigError(
      'difficulty.minDigits',
      `is ${difficulty.minDigits}, above maxDigits ${difficulty.maxDigits}; lower minDigits or raise maxDigits`,
    );
  }
  const generate = GENERATORS[family];
  const rng = new SeededRng(hashString(`oreal-ts/tasks:${family}:${split}:${seed}`));
  const seen = new Set<string>();
  const out: Problem[] = [];
  const maxAttempts = 1000 + count * 200;
  for (let attempt = 0; out.length < count && attempt < maxAttempts; attempt++) {
    const task = generate(rng, difficulty);
    if (!task || seen.has(task.question) || splitOf(family, task.question) !== split) continue;
    seen.add(task.question);
    out.push({
      id: `${family}:${task.question}`,
      question: task.question,
      answer: task.answer,
      solution: task.solution,
      subject: family,
    });
  }
  if (out.length < count) {
    throw new InvalidArgumentError(
      'count',
      `only ${out.length} distinct ${split} problems of '${family}' were found for these difficulty knobs (asked for ${count}); lower count or widen the difficulty (more digits, larger coefficients)`,
    );
  }
  return out;
}

/**
 * Every character the generators can emit in a question, solution or answer — the alphabet of a
 * character-level tokenizer for these tasks.
 */
export const taskAlphabet = '0123456789+-*/=;()x\\{}abcdefor';
