/**
 * `oreal ablate`: flag validation, the arms' configs, and end to end on the tiny config (the real
 * CLI bundle): `--seeds 1` keeps the single-seed outputs, `--seeds 2` aggregates two seeds, and
 * child processes (`--jobs 2`) give the same per-seed results as one process.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '@oreal-ts/core';
import { describe, expect, it } from 'vitest';
import { seedConfig } from '../src/commands/ablate-command';
import { parseAblateFlags } from '../src/commands/ablate-flags';
import { loadConfig } from '../src/config/load-config';
import { ABLATION_VARIANTS, variantConfig } from '../src/pipeline/ablation-variants';
import { SeedResultSchema } from '../src/report/ablation-stats';
import { runCli } from './support/run-cli';
import { temporaryDirs } from './support/temporary-dirs';
import { writeTinyConfig } from './support/tiny-config';

const tempDir = temporaryDirs();

function fieldOf(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    expect(ConfigError.is(error)).toBe(true);
    return (error as ConfigError).path;
  }
  throw new Error('expected a ConfigError');
}

describe('oreal ablate flags', () => {
  it('defaults: every arm in order, one seed, one job, the default target', () => {
    const flags = parseAblateFlags({});
    expect(flags.variants.map((v) => v.name)).toEqual([
      'sft-only',
      'reinforce',
      'rloo',
      'grpo',
      'dr-grpo',
      'oreal-no-token-rm',
      'oreal-no-negative-shaping',
      'oreal',
    ]);
    expect(flags).toMatchObject({ seeds: 1, jobs: 1, target: null });
    expect(parseAblateFlags({ seeds: '5', jobs: '3', target: '0.9', variants: 'oreal, grpo' })).toMatchObject({
      seeds: 5,
      jobs: 3,
      target: 0.9,
      variants: [{ name: 'grpo' }, { name: 'oreal' }],
    });
  });

  it('bad values are ConfigErrors naming the flag and the fix', () => {
    expect(fieldOf(() => parseAblateFlags({ seeds: '0' }))).toBe('--seeds');
    expect(fieldOf(() => parseAblateFlags({ seeds: '2.5' }))).toBe('--seeds');
    expect(fieldOf(() => parseAblateFlags({ seeds: '1000' }))).toBe('--seeds');
    expect(fieldOf(() => parseAblateFlags({ jobs: 'many' }))).toBe('--jobs');
    expect(fieldOf(() => parseAblateFlags({ target: '90' }))).toBe('--target');
    expect(() => parseAblateFlags({ target: '90' })).toThrow(/not a percentage.*--target 0\.9/);
    expect(fieldOf(() => parseAblateFlags({ target: '-0.1' }))).toBe('--target');
    expect(fieldOf(() => parseAblateFlags({ variants: 'oreal,ppo' }))).toBe('--variants');
    expect(() => parseAblateFlags({ variants: 'oreal,ppo' })).toThrow(/"ppo".*choose from sft-only/);
    expect(() => parseAblateFlags({ variants: 'sft-only' })).toThrow(/at least one RL arm/);
    expect(parseAblateFlags({ aggregate: 'runs/x', target: '0.8' })).toMatchObject({ aggregate: 'runs/x', target: 0.8 });
    expect(parseAblateFlags({}).aggregate).toBeNull();
    expect(fieldOf(() => parseAblateFlags({ aggregate: 'runs/x', seeds: '3' }))).toBe('--aggregate');
    expect(fieldOf(() => parseAblateFlags({ aggregate: ' ' }))).toBe('--aggregate');
  });

  it('the CLI exits 2 on a bad flag before creating a run', async () => {
    const result = await runCli(['ablate', '--seeds', 'two']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--seeds: must be a whole number/);
    expect(result.stderr).not.toMatch(/run directory/);
  });
});

describe('ablation arms and seeds', () => {
  it('each arm configures its objective; seed s moves seed and trainer seed', async () => {
    const config = await loadConfig({ overrides: ['seed=7', 'trainer.sampling.maxNewTokens=33'] });
    const arm = (name: string) => variantConfig(config, ABLATION_VARIANTS.find((v) => v.name === name)!);
    expect(arm('oreal-no-negative-shaping').objective).toEqual({ name: 'oreal', options: { shapeNegatives: false } });
    expect(arm('oreal-no-negative-shaping').tokenRewardModel.enabled).toBe(true);
    expect(arm('oreal').objective.options).toEqual({});
    expect(arm('dr-grpo').objective).toEqual({ name: 'dr-grpo', options: { constantNormalizer: 33 } });
    expect(arm('rloo').objective.name).toBe('rloo');
    expect(arm('oreal-no-token-rm').trainer.actorFreezeSteps).toBe(0);
    const seeded = seedConfig(config, 2);
    expect([seeded.seed, seeded.trainer.seed]).toEqual([9, config.trainer.seed + 2]);
  });
});

describe('oreal ablate end to end (tiny config)', () => {
  const variants = 'sft-only,reinforce,oreal-no-negative-shaping';
  // 120 SFT steps: the start solves some rollouts, so the RL arms see mixed groups and update.
  const settings = ['sft.steps=120', 'trainer.steps=2', 'trainer.evalEvery=1', 'trainer.checkpoint.keepLast=1'];

  async function ablate(runsDir: string, config: string, name: string, extra: string[]) {
    const args = ['ablate', '-c', config, '--variants', variants, `--set`, `logging.runName=${name}`];
    for (const set of settings) args.push('--set', set);
    const result = await runCli([...args, ...extra]);
    expect(result.code, result.stderr).toBe(0);
    const dir = join(runsDir, name);
    return { result, dir, json: JSON.parse(await readFile(join(dir, 'ablation.json'), 'utf8')) };
  }

  it('--seeds 1 keeps the single-seed outputs; --seeds 2 aggregates, the same with --jobs 2', async () => {
    const runsDir = await tempDir('oreal-ablate-');
    const config = await writeTinyConfig(runsDir, 'tiny.yaml', { runsDir });

    const one = await ablate(runsDir, config, 'one', []);
    expect(one.json.rows.map((r: { variant: string }) => r.variant)).toEqual(variants.split(','));
    expect(one.json.sftEval.step).toBe(0);
    expect(one.json.seeds).toEqual([3]);
    expect(existsSync(one.json.plots.bars.png)).toBe(true);
    expect(existsSync(one.json.plots.curves.png)).toBe(true);
    const single = SeedResultSchema.parse(one.json.seedResult);
    expect(single.arms.map((a) => a.variant)).toEqual(variants.split(','));
    const rl = single.arms.find((a) => a.variant === 'reinforce')!;
    expect(rl.evals.map((e) => e.step)).toEqual([0, 1, 2]);
    expect(rl.evals.map((e) => e.rollouts)).toEqual([0, 16, 32]); // B × K = 4 × 4 per step
    expect(one.json.arms[0]).toMatchObject({ variant: 'sft-only', n: 1, ci95: null });
    // The no-negative-shaping arm weights each kept negative like its group's positive: A⁻ = −A⁺.
    const unshaped = (await readFile(join(one.dir, 'oreal-no-negative-shaping', 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((r) => r['type'] === 'step' && r['meanAdvantagePositive'] != null && r['meanAdvantageNegative'] != null);
    expect(unshaped.length).toBeGreaterThan(0);
    for (const r of unshaped) {
      expect(r['meanAdvantageNegative'] as number).toBeCloseTo(-(r['meanAdvantagePositive'] as number), 9);
    }
    const md = await readFile(join(one.dir, 'ablation.md'), 'utf8');
    expect(md).toContain('| variant | held-out greedy pass@1 (%) | vs SFT |');
    expect(md).toContain('| arm | held-out greedy pass@1 (%) | seeds | rollouts to target | reached |');

    const parallel = await ablate(runsDir, config, 'parallel', ['--seeds', '2', '--jobs', '2']);
    const inProcess = await ablate(runsDir, config, 'in-process', ['--seeds', '2']);
    for (const run of [parallel, inProcess]) {
      expect(run.json.seeds).toEqual([3, 4]);
      expect(run.json.caption).toContain('--seeds 2');
      expect(run.json.arms.map((a: { variant: string }) => a.variant)).toEqual(variants.split(','));
      for (const arm of run.json.arms) {
        expect(arm.values).toHaveLength(2);
        expect(arm.mean).toBeCloseTo((arm.values[0] + arm.values[1]) / 2, 12);
        expect(arm.ci95[0]).toBeLessThanOrEqual(arm.mean);
        expect(arm.rolloutsToTarget.of).toBe(2);
      }
      const seedDirs = [3, 4].map((s) => join(run.dir, `seed-${s}`));
      for (const dir of seedDirs) expect(existsSync(join(dir, 'ablation.json'))).toBe(true);
      expect(existsSync(join(run.dir, 'ablation-curves.png'))).toBe(true);
      expect(await readFile(join(run.dir, 'ablation.md'), 'utf8')).toContain('Student-t');
    }
    // Seed 3 of the multi-seed runs is the --seeds 1 run; processes or not, the same numbers.
    const seedThree = async (dir: string) =>
      SeedResultSchema.parse(JSON.parse(await readFile(join(dir, 'seed-3', 'ablation.json'), 'utf8')).seedResult);
    expect((await seedThree(parallel.dir)).arms).toEqual(single.arms);
    expect((await seedThree(inProcess.dir)).arms).toEqual(single.arms);
    expect(parallel.json.arms.map((a: { values: number[] }) => a.values)).toEqual(
      inProcess.json.arms.map((a: { values: number[] }) => a.values),
    );

    // --aggregate re-reads the seed folders (no training) and writes the same aggregate.
    const before = inProcess.json.arms;
    const again = await runCli(['ablate', '--aggregate', inProcess.dir]);
    expect(again.code, again.stderr).toBe(0);
    const aggregated = JSON.parse(await readFile(join(inProcess.dir, 'ablation.json'), 'utf8'));
    expect(aggregated.arms).toEqual(before);
    expect(aggregated.seeds).toEqual([3, 4]);
    expect(aggregated.paired).toEqual({ versus: 'grpo', arms: [] }); // no GRPO arm in this run
  });
});
