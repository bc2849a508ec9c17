import {
  REWARD_MODEL_DIAGNOSTICS,
  curveBand,
  type ArmSummary,
  type MeanInterval,
  type PairedSummary,
  type SeedResult,
} from './ablation-stats';
import type { BandChartPoint } from './plot';

/** `mean ± halfWidth` of a summary scaled by `scale` (e.g. 100 for percentages); `mean` alone when n = 1; `n/a` when n = 0. */
export function formatMeanCi(summary: MeanInterval, scale = 1, digits = 1): string {
  if (summary.mean === null) return 'n/a';
  const mean = (summary.mean * scale).toFixed(digits);
  return summary.halfWidth === null ? mean : `${mean} ± ${(summary.halfWidth * scale).toFixed(digits)}`;
}

const RM_HEADERS: Readonly<Record<(typeof REWARD_MODEL_DIAGNOSTICS)[number], string>> = {
  heldOutAccuracy: 'RM held-out acc',
  heldOutAuc: 'RM held-out AUC',
  creditOnFirstWrong: 'ω⁻ on first wrong',
  creditAtOrAfterFirstWrong: 'ω⁻ at/after first wrong',
};

/**
 * The multi-seed table: per arm, held-out greedy pass@1 (%) mean ± 95% CI half-width, rollouts to
 * the target (mean ± half-width over the seeds that reached it), reached k/n, and the token-RM
 * diagnostics' means (only the columns some arm has).
 */
export function ablationStatsTable(arms: readonly ArmSummary[]): {
  header: string[];
  rows: (string | number)[][];
} {
  const rmColumns = REWARD_MODEL_DIAGNOSTICS.filter((key) => arms.some((arm) => arm.rewardModel[key].n > 0));
  const header = [
    'arm',
    'held-out greedy pass@1 (%)',
    'seeds',
    'rollouts to target',
    'reached',
    ...rmColumns.map((key) => RM_HEADERS[key]),
  ];
  const rows = arms.map((arm) => [
    arm.label,
    formatMeanCi(arm, 100),
    arm.n,
    formatMeanCi(arm.rolloutsToTarget, 1, 0),
    `${arm.rolloutsToTarget.reached}/${arm.rolloutsToTarget.of}`,
    ...rmColumns.map((key) => formatMeanCi(arm.rewardModel[key], 1, 3)),
  ]);
  return { header, rows };
}

/**
 * Band-chart points of the seeds' learning curves, per arm: held-out greedy pass@1 (%) at each
 * evaluation step and the rollout pass rate (%) per RL step, as the mean over seeds with the
 * min–max range as the band (the SFT-only arm has no curve).
 */
export function ablationBandPoints(seeds: readonly SeedResult[]): BandChartPoint[] {
  const labels = new Map<string, string>();
  for (const seed of seeds) for (const arm of seed.arms) labels.set(arm.variant, arm.label);
  const points: BandChartPoint[] = [];
  for (const [variant, label] of labels) {
    const arms = seeds.flatMap((seed) => seed.arms.filter((arm) => arm.variant === variant));
    if (arms.every((arm) => arm.stepPassRates.length === 0)) continue;
    const panels = [
      {
        panel: 'held-out greedy pass@1 (%)',
        curves: arms.map((arm) => arm.evals.map((e) => ({ x: e.step, y: e.greedyPassAt1 * 100 }))),
      },
      {
        panel: 'rollout pass rate (%)',
        curves: arms.map((arm) => arm.stepPassRates.map((s) => ({ x: s.step, y: s.passRate * 100 }))),
      },
    ];
    for (const { panel, curves } of panels) {
      for (const band of curveBand(curves)) {
        points.push({ x: band.x, mean: band.mean, lo: band.min, hi: band.max, series: label, panel });
      }
    }
  }
  return points;
}

/**
 * The paired table: per arm, its final pass@1 minus the baseline's (points, mean ± 95% CI over the
 * seeds), and its rollouts to target minus the baseline's (over the seeds where both reached it;
 * negative = fewer), with how often only one of them reached the target.
 */
export function pairedTable(paired: readonly PairedSummary[]): { header: string[]; rows: (string | number)[][] } {
  const versus = paired[0]?.versus ?? 'baseline';
  const header = [
    'arm',
    `pass@1 − ${versus} (points)`,
    'seeds',
    `rollouts to target − ${versus}`,
    'pairs',
    `only arm / only ${versus} reached`,
  ];
  const rows = paired.map((p) => [
    p.label,
    formatMeanCi(p.passAt1Difference, 100),
    p.passAt1Difference.n,
    formatMeanCi(p.rolloutsToTargetDifference, 1, 0),
    p.rolloutsToTargetDifference.n,
    `${p.rolloutsToTargetDifference.onlyArmReached} / ${p.rolloutsToTargetDifference.onlyBaselineReached}`,
  ]);
  return { header, rows };
}
