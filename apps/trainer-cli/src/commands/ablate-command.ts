import { join } from 'node:path';
import { ConfigError } from '@oreal-ts/core';
import { writeFileAtomic, writeJsonAtomic } from '@oreal-ts/core/node';
import type { EvalMetrics } from '@oreal-ts/trainer';
import { createTaskTokenizer } from '../compose/create-components';
import { loadProblems } from '../compose/load-problems';
import { ABLATION_VARIANTS, variantConfig } from '../pipeline/ablation-variants';
import { DEMO_CONFIG } from '../pipeline/demo-config';
import { runReinforcementFromCheckpoint } from '../pipeline/rl-from-checkpoint';
import { runWarmStart } from '../pipeline/warm-start';
import type { ConfigFlags } from '../program';
import { learningCurvePoints } from '../report/learning-curve';
import { barChartSpec, lineChartSpec, writeChart, type ChartPoint } from '../report/plot';
import { formatMarkdownTable, formatTable, percent } from '../report/table';
import { describeBackend, initBackendAndReport } from './backend';
import type { CommandOutput } from './output';
import { prepareRun } from './prepare-run';
import { abortOnSignals } from './signals';
import { readJsonlFile } from '@oreal-ts/core/node';

/** One row of the ablation table. */
export interface AblationRow {
  readonly variant: string;
  readonly label: string;
  readonly greedyPassAt1: number;
  readonly sampledPassAt1: number | null;
  readonly rlSeconds: number;
  readonly steps: number;
}

/**
 * `oreal ablate`: one SFT warm start, then every RL arm from that same checkpoint with the same
 * seed, data order and rollout budget; a table like the paper's ablation and a plot.
 */
export async function runAblateCommand(
  flags: ConfigFlags & { variants?: string },
  output: CommandOutput,
): Promise<void> {
  const chosen = flags.variants
    ? flags.variants.split(',').map((v) => v.trim())
    : ABLATION_VARIANTS.map((v) => v.name);
  const unknown = chosen.filter((name) => !ABLATION_VARIANTS.some((v) => v.name === name));
  if (unknown.length > 0) {
    throw new ConfigError(
      '--variants',
      `unknown ${unknown.map((u) => JSON.stringify(u)).join(', ')}; choose from ${ABLATION_VARIANTS.map((v) => v.name).join(', ')}`,
    );
  }
  const variants = ABLATION_VARIANTS.filter((v) => chosen.includes(v.name));
  const started = performance.now();
  const { config, runDir, progress } = await prepareRun('ablate', flags, output, DEMO_CONFIG);
  const backend = await initBackendAndReport(output);
  const problems = await loadProblems(config);
  const warm = await runWarmStart({
    config,
    tokenizer: createTaskTokenizer(),
    problems: problems.train,
    runDir,
    progress,
  });
  output.err(`sft: ${warm.steps} steps in ${warm.seconds.toFixed(0)} s`);
  const signals = abortOnSignals((signal) =>
    output.err(`${signal}: stopping after the current step (again to exit now)`),
  );
  const rows: AblationRow[] = [];
  const curves: ChartPoint[] = [];
  let sftEval: EvalMetrics | null = null;
  try {
    for (const variant of variants.filter((v) => v.objective !== undefined)) {
      if (signals.signal.aborted) break;
      output.err(`[ablate] ${variant.label}`);
      const arm = variantConfig(config, variant);
      const armDir = join(runDir, variant.name);
      const rl = await runReinforcementFromCheckpoint({
        config: { ...arm, trainer: { ...arm.trainer, evalAtStart: sftEval === null } },
        checkpointDir: warm.checkpointDir,
        problems,
        runDir: armDir,
        progress,
        output,
        signal: signals.signal,
        title: `oreal ablate: ${variant.label}`,
      });
      sftEval ??= rl.firstEval;
      if (rl.lastEval) {
        rows.push({
          variant: variant.name,
          label: variant.label,
          greedyPassAt1: rl.lastEval.greedyPassAt1,
          sampledPassAt1: rl.lastEval.sampledPassAt1,
          rlSeconds: rl.seconds,
          steps: rl.result.steps,
        });
      }
      const records = (await readJsonlFile(join(armDir, 'metrics.jsonl'))).map(
        (r) => r.value as Record<string, unknown>,
      );
      const withStart =
        sftEval && !records.some((r) => r['type'] === 'eval' && r['step'] === 0)
          ? [{ ...sftEval }, ...records]
          : records;
      curves.push(
        ...learningCurvePoints(withStart as Record<string, unknown>[])
          .filter((p) => p.series === 'held-out greedy pass@1' || p.series === 'rollout pass rate')
          .map((p) => ({
            ...p,
            panel: p.series === 'rollout pass rate' ? 'rollout pass rate (%)' : 'held-out greedy pass@1 (%)',
            series: variant.label,
          })),
      );
    }
  } finally {
    signals.dispose();
  }
  if (variants.some((v) => v.objective === undefined) && sftEval) {
    rows.unshift({
      variant: 'sft-only',
      label: 'SFT only (no RL)',
      greedyPassAt1: sftEval.greedyPassAt1,
      sampledPassAt1: sftEval.sampledPassAt1,
      rlSeconds: 0,
      steps: 0,
    });
  }
  const base = sftEval?.greedyPassAt1 ?? null;
  const header = [
    'variant',
    'held-out greedy pass@1 (%)',
    'vs SFT',
    'sampled pass@1 (%)',
    'RL steps',
    'RL seconds',
  ];
  const table = rows.map((row) => [
    row.label,
    percent(row.greedyPassAt1),
    base === null ? 'n/a' : signedPoints(percent(row.greedyPassAt1) - percent(base)),
    row.sampledPassAt1 === null ? 'n/a' : percent(row.sampledPassAt1),
    row.steps,
    Math.round(row.rlSeconds),
  ]);
  const seconds = (performance.now() - started) / 1000;
  const caption =
    `oreal ablate · seed ${config.seed} · ${describeBackend(backend)} · ${problems.test.length} held-out problems · ` +
    `B×K = ${config.trainer.batchProblems}×${config.trainer.rolloutsPerProblem}, ${config.trainer.steps} RL steps per arm · wall time ${Math.round(seconds)} s`;
  const bars = await writeChart(
    barChartSpec(
      'oreal ablate: held-out greedy pass@1 after RL',
      rows.map((r) => ({ label: r.label, value: percent(r.greedyPassAt1) })),
      'held-out greedy pass@1 (%)',
    ),
    join(runDir, 'ablation'),
  );
  const curveFiles =
    curves.length > 0
      ? await writeChart(
          lineChartSpec('oreal ablate: learning curves', curves),
          join(runDir, 'ablation-curves'),
        )
      : null;
  await writeJsonAtomic(join(runDir, 'ablation.json'), {
    caption,
    rows,
    sftEval,
    plots: { bars, curves: curveFiles },
  });
  await writeFileAtomic(join(runDir, 'ablation.md'), `${caption}\n\n${formatMarkdownTable(header, table)}\n`);
  output.out(
    `\n${caption}\n\n${formatTable(header, table)}\n\nrun: ${runDir}\nplots: ${bars.png}${curveFiles ? `, ${curveFiles.png}` : ''}`,
  );
}

function signedPoints(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return `${rounded >= 0 ? '+' : ''}${rounded.toFixed(1)}`;
}
