import { ConfigError } from '@oreal-ts/core';
import { describe, expect, it } from 'vitest';
import { TrainerConfigSchema, parseTrainerConfig } from './config';

function configError(input: unknown, where?: string): ConfigError {
  try {
    parseTrainerConfig(input, where);
  } catch (error) {
    expect(ConfigError.is(error)).toBe(true);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('TrainerConfigSchema', () => {
  it("defaults to OREAL's reference values (oreal-method.md)", () => {
    const config = parseTrainerConfig({});
    expect(config).toMatchObject({
      batchProblems: 64,
      rolloutsPerProblem: 16,
      steps: 90,
      actorFreezeSteps: 10,
      rewardCorrect: 1,
      rewardIncorrect: -1,
      sampling: { temperature: 1, topP: 0.9, topK: 0 },
    });
    expect(config.checkpoint).toMatchObject({ dir: 'checkpoints', keepLast: 2, keepBest: true });
  });

  it('fills nested defaults when a section is given in part', () => {
    const config = parseTrainerConfig({ sampling: { maxNewTokens: 64 }, checkpoint: { every: 5 } });
    expect(config.sampling).toMatchObject({ temperature: 1, topP: 0.9, topK: 0, maxNewTokens: 64 });
    expect(config.checkpoint).toMatchObject({ every: 5, keepLast: 2, onAbort: true, atEnd: true });
  });

  it.each([
    [{ rolloutsPerProblem: 1 }, 'rolloutsPerProblem', /got 1/, /rolloutsPerProblem/],
    [{ sampling: { topP: 1.5 } }, 'sampling.topP', /got 1\.5/, /use 1 to disable/],
    [{ batchProblems: 0 }, 'batchProblems', /got 0/, /e\.g\. 64/],
    [{ rewardCorrect: -1 }, 'rewardCorrect', /got -1/, /OREAL uses \+1/],
    [{ rewardIncorrect: 0.5 }, 'rewardIncorrect', /got 0\.5/, /0 also works/],
    [{ steps: 5, actorFreezeSteps: 5 }, 'actorFreezeSteps', /got 5/, /never be updated/],
    [{ checkpoint: { keepLast: 0 } }, 'checkpoint.keepLast', /got 0/, /resume needs/],
  ])('names the field, the value and the fix: %j', (input, path, value, fix) => {
    const error = configError(input);
    expect(error.path).toBe(path);
    expect(error.message).toMatch(value);
    expect(error.message).toMatch(fix);
  });

  it('rejects unknown fields (typos) and prefixes the section', () => {
    const error = configError({ stepz: 3 }, 'trainer');
    expect(error.message).toMatch(/stepz/);
    expect(error.path.startsWith('trainer')).toBe(true);
    expect(configError({ steps: 'ten' }, 'trainer').path).toBe('trainer.steps');
  });

  it('documents every field with its default and source', async () => {
    const { readFile } = await import('node:fs/promises');
    const source = await readFile(new URL('./config.ts', import.meta.url), 'utf8');
    const fields = Object.keys(TrainerConfigSchema.shape ?? {});
    expect(fields.length).toBeGreaterThan(10);
    for (const field of fields) {
      const comment = new RegExp(`/\\*\\*[^*]*(?:\\*(?!/)[^*]*)*\\*/\\s*\\n\\s*${field}:`);
      expect(source, field).toMatch(comment);
    }
  });

  it('weight sync defaults to publishing after every update on the sync schedule; importance sampling is off', () => {
    const config = parseTrainerConfig({});
    expect(config.weightSync).toEqual({ every: 1, schedule: 'sync', maxStaleness: 1 });
    expect(config.importanceSampling).toBeUndefined();
    expect(parseTrainerConfig({ weightSync: { schedule: 'async' } }).weightSync).toEqual({
      every: 1,
      schedule: 'async',
      maxStaleness: 1,
    });
    expect(parseTrainerConfig({ importanceSampling: { cap: 2 } }).importanceSampling).toEqual({ cap: 2 });
  });

  it('names the weight-sync and importance-sampling fields it refuses', () => {
    expect(configError({ weightSync: { schedule: 'fast' } }, 'trainer').message).toMatch(
      /trainer\.weightSync\.schedule.*'sync' or 'async'/s,
    );
    expect(configError({ weightSync: { maxStaleness: 0 } }).message).toMatch(
      /weightSync\.maxStaleness.*schedule 'sync'/s,
    );
    expect(configError({ weightSync: { every: 0 } }).message).toMatch(/weightSync\.every/);
    expect(configError({ weightSync: { evry: 2 } }).message).toMatch(/evry/);
    expect(configError({ importanceSampling: { cap: 0 } }).message).toMatch(/importanceSampling\.cap.*> 0/s);
    expect(configError({ importanceSampling: {} }).message).toMatch(/importanceSampling\.cap/);
  });
});
