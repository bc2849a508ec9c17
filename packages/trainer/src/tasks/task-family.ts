import type { SeededRng } from '@oreal-ts/core';
import { z } from 'zod';

/** The built-in task families. */
export const TASK_FAMILIES = [
  'addition',
  'subtraction',
  'multiplication',
  'linear-equation',
  'fraction',
] as const;

/** One of the built-in task families. */
export type TaskFamily = (typeof TASK_FAMILIES)[number];

/** Which half of a family's problems: the two never share a problem. */
export type TaskSplit = 'train' | 'test';

/**
 * Difficulty knobs. Each family reads the knobs that apply to it (documented per field) and
 * ignores the others.
 */
export const TaskDifficultySchema = z.strictObject({
  /** Fewest digits of an operand (addition, subtraction, multiplication's first factor). Default 1. */
  minDigits: z
    .number()
    .int()
    .min(1, 'must be ≥ 1')
    .max(12, 'must be ≤ 12 (answers must stay exact integers)')
    .optional(),
  /** Most digits of an operand. Default 3 (addition, subtraction), 2 (multiplication). */
  maxDigits: z
    .number()
    .int()
    .min(1, 'must be ≥ 1')
    .max(12, 'must be ≤ 12 (answers must stay exact integers)')
    .optional(),
  /** Carries (addition) or borrows (subtraction): `any`, `none` (no column carries) or `required` (at least one). Default `any`. */
  carries: z.enum(['any', 'none', 'required']).optional(),
  /** Digits of multiplication's second factor. Default 1. */
  multiplierDigits: z.number().int().min(1, 'must be ≥ 1').max(4, 'must be ≤ 4').optional(),
  /** Largest |a|, |b|, |x| of a linear equation a·x + b = c. Default 9. */
  maxCoefficient: z.number().int().min(2, 'must be ≥ 2').max(999, 'must be ≤ 999').optional(),
  /** Linear equations' solution: `integer`, `fraction` (non-integer) or `any` (half each). Default `any`. */
  solution: z.enum(['integer', 'fraction', 'any']).optional(),
  /** Allow negative results and coefficients (subtraction, linear equations, fractions). Default false. */
  allowNegative: z.boolean().optional(),
  /** Largest denominator of an operand (fraction). Default 9. */
  maxDenominator: z.number().int().min(2, 'must be ≥ 2').max(99, 'must be ≤ 99').optional(),
  /** Operations of fraction problems. Default ['+', '-']. */
  operations: z
    .array(z.enum(['+', '-', '*']))
    .min(1, 'needs at least one of "+", "-", "*"')
    .optional(),
});

/** Difficulty knobs (see `TaskDifficultySchema`). */
export type TaskDifficulty = z.infer<typeof TaskDifficultySchema>;

/** A generated problem before it gets an id and a split. */
export interface GeneratedTask {
  /** The question, e.g. `47+85=`. */
  readonly question: string;
  /** Step-by-step solution ending with `\boxed{answer}`. */
  readonly solution: string;
  /** The final answer, e.g. `132` or `\frac{3}{2}`. */
  readonly answer: string;
}

/** A family's generator: one random problem from `rng` under `difficulty`, or null when the draw breaks a knob (drawn again). */
export type TaskGenerator = (rng: SeededRng, difficulty: TaskDifficulty) => GeneratedTask | null;
