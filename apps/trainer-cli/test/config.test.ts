import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@oreal-ts/core';
import { loadConfig } from '../src/config/load-config';
import { applyOverrides, parseOverride } from '../src/config/overrides';
import { temporaryDirs } from './support/temporary-dirs';

const tempDir = temporaryDirs();

async function tempFile(name: string, text: string): Promise<string> {
  const dir = await tempDir('oreal-config-');
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(ConfigError.is(error)).toBe(true);
  return error as ConfigError;
}

describe('--set overrides', () => {
  it('parse typed values along a dotted path', () => {
    expect(parseOverride('trainer.steps=20')).toEqual({ path: ['trainer', 'steps'], value: 20 });
    expect(parseOverride('sampler.type=openai')).toEqual({ path: ['sampler', 'type'], value: 'openai' });
    expect(parseOverride('data.families=[addition, multiplication]').value).toEqual([
      'addition',
      'multiplication',
    ]);
    expect(parseOverride('tokenRewardModel.enabled=false').value).toBe(false);
  });

  it('create sections and leave the input untouched', () => {
    const base = { trainer: { steps: 3 } };
    const out = applyOverrides(base, ['trainer.sampling.maxNewTokens=40', 'seed=7']);
    expect(out).toEqual({ trainer: { steps: 3, sampling: { maxNewTokens: 40 } }, seed: 7 });
    expect(base).toEqual({ trainer: { steps: 3 } });
  });

  it('refuse a flag without = and a path through a value, naming them', () => {
    expect(() => parseOverride('trainer.steps')).toThrow(/--set: expected 'section.field=value'/);
    expect(() => applyOverrides({ seed: 1 }, ['seed.x=2'])).toThrow(/seed: is 1, not a section/);
  });
});

describe('loadConfig', () => {
  it('merges base ← YAML file ← flags and fills defaults', async () => {
    const file = await tempFile('run.yaml', 'seed: 5\nsampler:\n  type: local\ntrainer:\n  steps: 12\n');
    const config = await loadConfig({
      base: { trainer: { steps: 4, batchProblems: 2 } },
      file,
      overrides: ['trainer.batchProblems=3'],
    });
    expect(config.seed).toBe(5);
    expect(config.trainer).toMatchObject({ steps: 12, batchProblems: 3 });
    expect(config.sampler.type).toBe('local');
    expect(config.objective.name).toBe('oreal');
    expect(config.model.architecture.hidden_size).toBeGreaterThan(0);
  });

  it('reads JSON files too', async () => {
    const file = await tempFile('run.json', JSON.stringify({ objective: { name: 'grpo' } }));
    expect((await loadConfig({ file })).objective.name).toBe('grpo');
  });

  it('names the field, the bad value and the fix', async () => {
    const error = await configError(loadConfig({ overrides: ['trainer.rolloutsPerProblem=1'] }));
    expect(error.path).toBe('trainer.rolloutsPerProblem');
    expect(error.message).toMatch(/got 1/);
    expect(error.message).toMatch(/must be ≥ 2/);
  });

  it('refuses an openai sampler without servers, saying how to fix it', async () => {
    const error = await configError(loadConfig({ overrides: ['sampler.type=openai'] }));
    expect(error.path).toBe('sampler.baseUrls');
    expect(error.message).toMatch(/oreal serve/);
  });

  it('refuses unknown keys (typos) and a bad enum value', async () => {
    const typo = await configError(loadConfig({ overrides: ['sampler.baseUrl=http://x'] }));
    expect(typo.message).toMatch(/baseUrl/);
    const badType = await configError(loadConfig({ overrides: ['sampler.type=vllm'] }));
    expect(badType.path).toBe('sampler.type');
    expect(badType.message).toMatch(/"vllm"/);
  });

  it('reports YAML syntax errors with file, line and column', async () => {
    const file = await tempFile('bad.yaml', 'trainer:\n  steps: [1, 2\n');
    const error = await configError(loadConfig({ file }));
    expect(error.message).toMatch(/bad\.yaml:\d+:\d+ is not valid YAML/);
  });

  it('refuses a missing file with the fix', async () => {
    const error = await configError(loadConfig({ file: '/nonexistent/oreal.yaml' }));
    expect(error.message).toMatch(/cannot read \/nonexistent\/oreal.yaml/);
  });
});

describe('objective options', () => {
  it('a bad objective option is reported at objective.options.<field>', async () => {
    const { createObjectiveFromConfig } = await import('../src/compose/create-components');
    const config = await loadConfig({ overrides: ['objective.options.klCoefficient=-1'] });
    let error: unknown;
    try {
      createObjectiveFromConfig(config);
    } catch (e) {
      error = e;
    }
    expect(ConfigError.is(error)).toBe(true);
    expect((error as ConfigError).path).toBe('objective.options.klCoefficient');
    expect((error as ConfigError).message).toMatch(/-1/);
  });

  it('an unknown objective name lists the registered ones', async () => {
    const { createObjectiveFromConfig } = await import('../src/compose/create-components');
    const config = await loadConfig({ overrides: ['objective.name=ppo'] });
    expect(() => createObjectiveFromConfig(config)).toThrow(
      /objective\.name: unknown objective "ppo"; choose one of oreal, reinforce, rloo, grpo/,
    );
  });
});

describe('engine section', () => {
  it('the shipped Tinker run configuration parses: OREAL at B 64 x K 16 on a LoRA of Qwen2.5-Math-1.5B', async () => {
    const file = join(import.meta.dirname, '..', 'configs', 'tinker-qwen2.5-math-1.5b.yaml');
    const config = await loadConfig({ file });
    expect(config.engine).toMatchObject({
      type: 'tinker',
      baseModel: 'Qwen/Qwen2.5-Math-1.5B',
      loraRank: 32,
      apiKeyEnv: 'TINKER_API_KEY',
    });
    expect(config.trainer.batchProblems).toBe(64);
    expect(config.trainer.rolloutsPerProblem).toBe(16);
    expect(config.objective.name).toBe('oreal');
  });

  it('defaults to the local engine and names baseModel when a Tinker engine has none', async () => {
    expect((await loadConfig({})).engine.type).toBe('local');
    const error = await configError(loadConfig({ overrides: ['engine.type=tinker'] }));
    expect(error.message).toContain('engine.baseModel');
  });
});

describe("the root README's fleet config", () => {
  it('is a valid config with weight sync on the sync schedule', async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const block = /```yaml\n(# fleet\.yaml[\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'README has a ```yaml block starting with "# fleet.yaml"').toBeDefined();
    const config = await loadConfig({ file: await tempFile('fleet.yaml', block!) });
    expect(config.sampler.type).toBe('openai');
    expect(config.sampler.baseUrls).toHaveLength(2);
    expect(config.fleet.weightSync).toBe('oreal');
    expect(config.trainer.weightSync.schedule).toBe('sync');
  });
});
