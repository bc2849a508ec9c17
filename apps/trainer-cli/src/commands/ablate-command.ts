import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError } from '@oreal-ts/core';
import { loadConfig } from '../config/load-config';
import { writeFileAtomic, writeJsonAtomic } from '@oreal-ts/core/node';
import type { OrealConfig } from '../config/schema';
import { runAblationSeed, type AblationSeedRun } from '../pipeline/ablation-seed';
import { readSeedOutcome, runSeedProcesses, type SeedJob, type SeedOutcome } from '../pipeline/ablation-seed-processes';
import { DEMO_CONFIG } from '../pipeline/demo-config';
import type { ConfigFlags } from '../program';
import { ablationBandPoints, ablationStatsTable, pairedTable } from '../report/ablation-report';
import { aggregateArms, defaultTarget, pairedVersus, type SeedResult } from '../report/ablation-stats';
import { bandChartSpec, barChartSpec, lineChartSpec, writeChart } from '../report/plot';
import { formatMarkdownTable, formatTable, percent } from '../report/table';
import { parseAblateFlags, type AblateFlagInput, type AblateFlags } from './ablate-flags';
import { describeBackend, initBackendAndReport } from './backend';
import type { CommandOutput } from './output';
import { prepareRun } from './prepare-run';
import { abortOnSignals } from './signals';

export type { AblationRow } from '../pipeline/ablation-seed';

/** What the target of "rollouts to target" is and where it came from. */
interface TargetChoice {
  readonly value: number | null;
  readonly source: string;
}

/** The arm every other arm is compared with, paired by seed (the issue's question: OREAL vs GRPO). */
const PAIRED_BASELINE = 'grpo';

const DEFAULT_TARGET_SOURCE = 'default: halfway from the mean SFT greedy pass@1 to 1';

/**
 * The config of seed number `index` (0-based): `seed` and `trainer.seed` both move by `index`, so
 * the SFT start, the generated problems, the data order and the sampling all change.
 */
export function seedConfig(config: OrealConfig, index: number): OrealConfig {
  return { ...config, seed: config.seed + index, trainer: { ...config.trainer, seed: config.trainer.seed + index } };
}

/**
 * `oreal ablate`: per seed, one SFT warm start, then every RL arm from that same checkpoint with
 * the same data order and rollout budget; a table like the paper's ablation and plots. With
 * `--seeds N` (N > 1) every seed runs into `<run>/seed-<s>/` (in this process, or `--jobs J` child
 * processes at a time) and `<run>/ablation.*` aggregates them: mean ± 95% Student-t CI per arm,
 * rollouts to a target pass@1, token-RM diagnostics and band plots of the learning curves.
 */
export async function runAblateCommand(
  flags: ConfigFlags & AblateFlagInput,
  output: CommandOutput,
  options: { readonly cliEntry?: string } = {},
): Promise<void> {
  const parsed = parseAblateFlags(flags);
  const started = performance.now();
  const command = commandLine(flags);
  if (parsed.aggregate !== null) {
    await aggregateEarlierRun(parsed.aggregate, parsed, command, started, output);
    return;
  }
  const { config, runDir, progress } = await prepareRun('ablate', flags, output, DEMO_CONFIG);
  const signals = abortOnSignals((signal) =>
    output.err(`${signal}: stopping after the current step (again to exit now)`),
  );
  try {
    if (parsed.seeds === 1) {
      const backend = describeBackend(await initBackendAndReport(output));
      const run = await runAblationSeed({
        config,
        variants: parsed.variants,
        runDir,
        output,
        progress,
        signal: signals.signal,
        backend,
      });
      await writeSeedReport({ run, config, runDir, command, started, explicitTarget: parsed.target, output, print: true });
      return;
    }
    const jobs: SeedJob[] = Array.from({ length: parsed.seeds }, (_, index) => {
      const seeded = seedConfig(config, index);
      return { seed: seeded.seed, config: seeded, runDir: join(runDir, `seed-${seeded.seed}`) };
    });
    const outcomes =
      parsed.jobs > 1
        ? await runSeedProcesses({
            jobs,
            parallel: parsed.jobs,
            cliEntry: options.cliEntry ?? process.argv[1] ?? '',
            variants: parsed.variants.map((v) => v.name),
            target: parsed.target,
            output,
            signal: signals.signal,
          })
        : await runSeedsInProcess(jobs, parsed, command, output, progress, signals.signal);
    await writeMultiSeedReport({ outcomes, config, runDir, command, started, parsed, output });
  } finally {
    signals.dispose();
  }
}

/** `--aggregate <runDir>`: read every `seed-<s>/ablation.json` of an earlier run and write its aggregate again. */
async function aggregateEarlierRun(
  dir: string,
  parsed: AblateFlags,
  command: string,
  started: number,
  output: CommandOutput,
): Promise<void> {
  const runDir = resolve(dir);
  const configFile = join(runDir, 'config.json');
  if (!existsSync(configFile))
    throw new ConfigError('--aggregate', `${runDir} has no config.json; pass the folder of a multi-seed oreal ablate run`);
  const config = await loadConfig({ file: configFile, overrides: [] });
  const seeds = (await readdir(runDir))
    .map((name) => /^seed-(-?\d+)$/.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => Number(match[1]))
    .sort((a, b) => a - b);
  if (seeds.length === 0)
    throw new ConfigError('--aggregate', `${runDir} has no seed-<s>/ folders; it is not a multi-seed oreal ablate run`);
  const outcomes = await Promise.all(seeds.map((seed) => readSeedOutcome({ seed, runDir: join(runDir, `seed-${seed}`) })));
  output.err(`aggregating ${seeds.length} seeds of ${runDir}`);
  await writeMultiSeedReport({
    outcomes,
    config,
    runDir,
    command,
    started,
    parsed: { ...parsed, seeds: seeds.length, jobs: 1 },
    output,
  });
}

async function runSeedsInProcess(
  jobs: readonly SeedJob[],
  parsed: AblateFlags,
  command: string,
  output: CommandOutput,
  progress: Parameters<typeof runAblationSeed>[0]['progress'],
  signal: AbortSignal,
): Promise<SeedOutcome[]> {
  const backend = describeBackend(await initBackendAndReport(output));
  const outcomes: SeedOutcome[] = [];
  for (const job of jobs) {
    if (signal.aborted) break;
    const started = performance.now();
    await writeJsonAtomic(join(job.runDir, 'config.json'), job.config);
    const run = await runAblationSeed({
      config: job.config,
      variants: parsed.variants,
      runDir: job.runDir,
      output,
      progress,
      signal,
      backend,
    });
    await writeSeedReport({
      run,
      config: job.config,
      runDir: job.runDir,
      command: `${command} (seed ${job.seed})`,
      started,
      explicitTarget: parsed.target,
      output,
      print: false,
    });
    outcomes.push({ seed: job.seed, result: run.seedResult });
  }
  return outcomes;
}

function chooseTarget(explicit: number | null, seeds: readonly SeedResult[]): TargetChoice {
  if (explicit !== null) return { value: explicit, source: '--target' };
  const sft = seeds.map((s) => s.sftGreedyPassAt1).filter((v): v is number => v !== null);
  return sft.length > 0 ? { value: defaultTarget(sft), source: DEFAULT_TARGET_SOURCE } : { value: null, source: 'none' };
}

function budget(config: OrealConfig): string {
  return `B×K = ${config.trainer.batchProblems}×${config.trainer.rolloutsPerProblem}, ${config.trainer.steps} RL steps per arm`;
}

/** One seed's outputs in its folder: today's single-seed table and plots, plus the statistics fields. */
async function writeSeedReport(options: {
  readonly run: AblationSeedRun;
  readonly config: OrealConfig;
  readonly runDir: string;
  readonly command: string;
  readonly started: number;
  readonly explicitTarget: number | null;
  readonly output: CommandOutput;
  readonly print: boolean;
}): Promise<void> {
  const { run, config, runDir } = options;
  const { rows, sftEval, seedResult } = run;
  const target = chooseTarget(options.explicitTarget, [seedResult]);
  const arms = aggregateArms([seedResult], target.value ?? Number.POSITIVE_INFINITY);
  const base = sftEval?.greedyPassAt1 ?? null;
  const header = ['variant', 'held-out greedy pass@1 (%)', 'vs SFT', 'sampled pass@1 (%)', 'RL steps', 'RL seconds'];
  const table = rows.map((row) => [
    row.label,
    percent(row.greedyPassAt1),
    base === null ? 'n/a' : signedPoints(percent(row.greedyPassAt1) - percent(base)),
    row.sampledPassAt1 === null ? 'n/a' : percent(row.sampledPassAt1),
    row.steps,
    Math.round(row.rlSeconds),
  ]);
  const seconds = (performance.now() - options.started) / 1000;
  const caption =
    `oreal ablate · seed ${config.seed} · ${seedResult.backend} · ${seedResult.heldOutProblems} held-out problems · ` +
    `${budget(config)} · wall time ${Math.round(seconds)} s`;
  const bars = await writeChart(
    barChartSpec(
      'oreal ablate: held-out greedy pass@1 after RL',
      rows.map((r) => ({ label: r.label, value: percent(r.greedyPassAt1) })),
      'held-out greedy pass@1 (%)',
    ),
    join(runDir, 'ablation'),
  );
  const curveFiles =
    run.curves.length > 0
      ? await writeChart(lineChartSpec('oreal ablate: learning curves', run.curves), join(runDir, 'ablation-curves'))
      : null;
  const stats = ablationStatsTable(arms);
  await writeJsonAtomic(join(runDir, 'ablation.json'), {
    caption,
    command: options.command,
    seeds: [config.seed],
    backend: seedResult.backend,
    wallSeconds: seconds,
    target,
    rows,
    sftEval,
    arms,
    seedResult,
    plots: { bars, curves: curveFiles },
  });
  const targetLine = targetSentence(target);
  await writeFileAtomic(
    join(runDir, 'ablation.md'),
    `${caption}\n\n${formatMarkdownTable(header, table)}\n\n${targetLine}\n\n${formatMarkdownTable(stats.header, stats.rows)}\n`,
  );
  if (options.print) {
    options.output.out(
      `\n${caption}\n\n${formatTable(header, table)}\n\n${targetLine}\n${formatTable(stats.header, stats.rows)}\n\nrun: ${runDir}\nplots: ${bars.png}${curveFiles ? `, ${curveFiles.png}` : ''}`,
    );
  }
}

function targetSentence(target: TargetChoice): string {
  return target.value === null
    ? 'Rollouts to target: no target (the SFT start was not evaluated).'
    : `Rollouts to target: rollouts sampled until the first held-out evaluation with greedy pass@1 ≥ ${(target.value * 100).toFixed(1)}% (${target.source}); 0 = the SFT start already is.`;
}

/** `<run>/ablation.*` of a multi-seed ablation: the aggregate table, JSON and band plot. */
async function writeMultiSeedReport(options: {
  readonly outcomes: readonly SeedOutcome[];
  readonly config: OrealConfig;
  readonly runDir: string;
  readonly command: string;
  readonly started: number;
  readonly parsed: AblateFlags;
  readonly output: CommandOutput;
}): Promise<void> {
  const { outcomes, config, runDir, output } = options;
  const results = outcomes.flatMap((o) => ('result' in o ? [o.result] : []));
  const failures = outcomes.flatMap((o) => ('error' in o ? [o] : []));
  const target = chooseTarget(options.parsed.target, results);
  const arms = aggregateArms(results, target.value ?? Number.POSITIVE_INFINITY);
  const paired = pairedVersus(results, PAIRED_BASELINE, target.value ?? Number.POSITIVE_INFINITY);
  const seconds = (performance.now() - options.started) / 1000;
  const seeds = results.map((r) => r.seed);
  const backends = [...new Set(results.map((r) => r.backend))];
  const heldOut = [...new Set(results.map((r) => r.heldOutProblems))];
  const caption =
    `oreal ablate · seeds ${seeds.join(', ') || 'none'} (${results.length} of ${options.parsed.seeds} seeds ran, ` +
    `${options.parsed.jobs > 1 ? `${options.parsed.jobs} processes` : 'one process'}) · ${backends.join(' / ') || 'no backend'} · ` +
    `${heldOut.join('/') || '?'} held-out problems · ${budget(config)} · wall time ${Math.round(seconds)} s · command: ${options.command}`;
  const stats = ablationStatsTable(arms);
  const bars = await writeChart(
    barChartSpec(
      `oreal ablate: held-out greedy pass@1 after RL, mean over ${results.length} seeds`,
      arms.flatMap((arm) => (arm.mean === null ? [] : [{ label: arm.label, value: percent(arm.mean) }])),
      'held-out greedy pass@1 (%), mean over seeds',
    ),
    join(runDir, 'ablation'),
  );
  const band = ablationBandPoints(results);
  const curveFiles =
    band.length > 0
      ? await writeChart(
          bandChartSpec(`oreal ablate: learning curves, mean and min–max over ${results.length} seeds`, band),
          join(runDir, 'ablation-curves'),
        )
      : null;
  await writeJsonAtomic(join(runDir, 'ablation.json'), {
    caption,
    command: options.command,
    seeds,
    backend: backends.join(' / '),
    wallSeconds: seconds,
    target,
    arms,
    paired: { versus: PAIRED_BASELINE, arms: paired },
    seedRuns: outcomes.map((o) => ({
      seed: o.seed,
      dir: join(runDir, `seed-${o.seed}`),
      ...('error' in o ? { error: o.error } : {}),
    })),
    plots: { bars, curves: curveFiles },
  });
  const notes = [
    targetSentence(target),
    'pass@1 and rollouts: mean ± half-width of the two-sided 95% Student-t interval (n − 1 degrees of freedom) over the seeds (rollouts: over the seeds that reached the target); no ± with one seed.',
    ...failures.map((f) => `Seed ${f.seed} failed: ${f.error.split('\n')[0]}`),
  ];
  const pairedStats = pairedTable(paired);
  const pairedSection =
    paired.length > 0
      ? `\n\nPaired by seed against ${PAIRED_BASELINE} (each seed's arms share the SFT start, data and problems):\n\n${formatMarkdownTable(pairedStats.header, pairedStats.rows)}`
      : '';
  await writeFileAtomic(
    join(runDir, 'ablation.md'),
    `${caption}\n\n${formatMarkdownTable(stats.header, stats.rows)}${pairedSection}\n\n${notes.join('\n\n')}\n\nPer-seed runs: ${outcomes.map((o) => `seed-${o.seed}/`).join(', ')}\n`,
  );
  output.out(
    `\n${caption}\n\n${formatTable(stats.header, stats.rows)}${paired.length > 0 ? `\n\npaired against ${PAIRED_BASELINE}:\n${formatTable(pairedStats.header, pairedStats.rows)}` : ''}\n\n${notes.slice(0, 2).join('\n')}\n\nrun: ${runDir}\nplots: ${bars.png}${curveFiles ? `, ${curveFiles.png}` : ''}`,
  );
  for (const failure of failures) output.err(`oreal ablate: seed ${failure.seed} failed: ${failure.error}`);
  if (failures.length > 0) process.exitCode = 1;
}

/** The command as typed (for the caption), rebuilt from the flags. */
function commandLine(flags: ConfigFlags & AblateFlagInput): string {
  const parts = ['oreal ablate'];
  if (flags.config) parts.push(`-c ${flags.config}`);
  for (const set of flags.set ?? []) parts.push(`--set ${set}`);
  if (flags.variants !== undefined) parts.push(`--variants ${flags.variants}`);
  if (flags.seeds !== undefined) parts.push(`--seeds ${flags.seeds}`);
  if (flags.jobs !== undefined) parts.push(`--jobs ${flags.jobs}`);
  if (flags.target !== undefined) parts.push(`--target ${flags.target}`);
  if (flags.aggregate !== undefined) parts.push(`--aggregate ${flags.aggregate}`);
  return parts.join(' ');
}

function signedPoints(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return `${rounded >= 0 ? '+' : ''}${rounded.toFixed(1)}`;
}
