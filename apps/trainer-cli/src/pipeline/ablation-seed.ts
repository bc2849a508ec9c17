import { join } from 'node:path';
import { readJsonlFile } from '@oreal-ts/core/node';
import type { EvalMetrics } from '@oreal-ts/trainer';
import type { CommandOutput } from '../commands/output';
import { createTaskTokenizer } from '../compose/create-components';
import { loadProblems } from '../compose/load-problems';
import type { OrealConfig } from '../config/schema';
import { evalsWithRollouts, rewardModelDiagnostics, stepPassRates } from '../report/ablation-arm-metrics';
import type { SeedArmResult, SeedResult } from '../report/ablation-stats';
import { learningCurvePoints } from '../report/learning-curve';
import type { ChartPoint } from '../report/plot';
import type { ProgressReporter } from '../report/progress';
import { variantConfig, type AblationVariant } from './ablation-variants';
import { runReinforcementFromCheckpoint } from './rl-from-checkpoint';
import { runWarmStart } from './warm-start';

/** One row of the (single-seed) ablation table. */
export interface AblationRow {
  readonly variant: string;
  readonly label: string;
  readonly greedyPassAt1: number;
  readonly sampledPassAt1: number | null;
  readonly rlSeconds: number;
  readonly steps: number;
}

/** What one seed of the ablation produced. */
export interface AblationSeedRun {
  readonly rows: AblationRow[];
  readonly sftEval: EvalMetrics | null;
  /** Learning-curve points of every RL arm (series = arm label). */
  readonly curves: ChartPoint[];
  readonly seedResult: SeedResult;
}

const SFT_ONLY = 'sft-only';

/**
 * One seed of `oreal ablate` in `runDir`: an SFT warm start (`<runDir>/sft`), then every chosen RL
 * arm from that checkpoint (`<runDir>/<arm>/`) with the seed, data order and rollout budget of
 * `config`. The first RL arm evaluates the SFT policy at step 0; the others reuse that evaluation.
 * Stops between arms when `signal` fires. Returns the table rows, the curves and the per-arm
 * results the multi-seed statistics need (read back from each arm's metrics.jsonl).
 */
export async function runAblationSeed(options: {
  readonly config: OrealConfig;
  readonly variants: readonly AblationVariant[];
  readonly runDir: string;
  readonly output: CommandOutput;
  readonly progress: ProgressReporter;
  readonly signal: AbortSignal;
  /** One line naming the tfjs backend (kept in the seed result). */
  readonly backend: string;
}): Promise<AblationSeedRun> {
  const { config, variants, runDir, output, progress } = options;
  const problems = await loadProblems(config);
  const warm = await runWarmStart({
    config,
    tokenizer: createTaskTokenizer(),
    problems: problems.train,
    runDir,
    progress,
  });
  output.err(`sft: ${warm.steps} steps in ${warm.seconds.toFixed(0)} s`);
  const rows: AblationRow[] = [];
  const curves: ChartPoint[] = [];
  const arms: SeedArmResult[] = [];
  let sftEval: EvalMetrics | null = null;
  for (const variant of variants.filter((v) => v.objective !== undefined)) {
    if (options.signal.aborted) break;
    output.err(`[ablate] seed ${config.seed}: ${variant.label}`);
    const arm = variantConfig(config, variant);
    const armDir = join(runDir, variant.name);
    const rl = await runReinforcementFromCheckpoint({
      config: { ...arm, trainer: { ...arm.trainer, evalAtStart: sftEval === null } },
      checkpointDir: warm.checkpointDir,
      problems,
      runDir: armDir,
      progress,
      output,
      signal: options.signal,
      title: `oreal ablate: ${variant.label}`,
    });
    sftEval ??= rl.firstEval;
    const records = (await readJsonlFile(join(armDir, 'metrics.jsonl'))).map(
      (r) => r.value as Record<string, unknown>,
    );
    if (rl.lastEval) {
      rows.push({
        variant: variant.name,
        label: variant.label,
        greedyPassAt1: rl.lastEval.greedyPassAt1,
        sampledPassAt1: rl.lastEval.sampledPassAt1,
        rlSeconds: rl.seconds,
        steps: rl.result.steps,
      });
      arms.push({
        variant: variant.name,
        label: variant.label,
        finalGreedyPassAt1: rl.lastEval.greedyPassAt1,
        evals: evalsWithRollouts(records, sftEval),
        stepPassRates: stepPassRates(records),
        rewardModel: rewardModelDiagnostics(records),
      });
    }
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
  if (variants.some((v) => v.objective === undefined) && sftEval) {
    const label = variants.find((v) => v.name === SFT_ONLY)?.label ?? 'SFT only (no RL)';
    rows.unshift({
      variant: SFT_ONLY,
      label,
      greedyPassAt1: sftEval.greedyPassAt1,
      sampledPassAt1: sftEval.sampledPassAt1,
      rlSeconds: 0,
      steps: 0,
    });
    arms.unshift({
      variant: SFT_ONLY,
      label,
      finalGreedyPassAt1: sftEval.greedyPassAt1,
      evals: [{ step: 0, rollouts: 0, greedyPassAt1: sftEval.greedyPassAt1 }],
      stepPassRates: [],
      rewardModel: rewardModelDiagnostics([]),
    });
  }
  return {
    rows,
    sftEval,
    curves,
    seedResult: {
      seed: config.seed,
      trainerSeed: config.trainer.seed,
      sftGreedyPassAt1: sftEval?.greedyPassAt1 ?? null,
      backend: options.backend,
      heldOutProblems: problems.test.length,
      arms,
    },
  };
}
