import { z } from 'zod';

/**
 * The settings a run was started with, stored as `run.json` beside the results. `--resume` refuses to
 * continue a run whose sampling settings differ (their samples would not be comparable).
 */
export const RunSettingsSchema = z.object({
  mode: z.enum(['sample', 'grade']),
  model: z.string(),
  /** `endpoint:<api>` / `checkpoint` / `responses`. */
  source: z.string(),
  data: z.string(),
  template: z.string().nullable(),
  n: z.number().int().min(1),
  temperature: z.number().min(0).nullable(),
  topP: z.number().gt(0).max(1).nullable(),
  maxTokens: z.number().int().min(1).nullable(),
  seed: z.number().int().nullable(),
  /** Number of problems evaluated (after `--limit`). */
  problems: z.number().int().min(1),
});

/** See `RunSettingsSchema`. */
export type RunSettings = z.output<typeof RunSettingsSchema>;

/** Settings that must match for `--resume` to append to an existing run. */
export const RESUME_KEYS = ['mode', 'model', 'template', 'temperature', 'topP', 'maxTokens', 'seed'] as const;
