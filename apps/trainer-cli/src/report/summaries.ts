import type { EvalMetrics } from '@oreal-ts/trainer';

/** `held-out greedy pass@1 41.0% · sampled pass@1 35.2% (100 problems)`. */
export function formatEvalSummary(metrics: EvalMetrics): string {
  return (
    `held-out greedy pass@1 ${(metrics.greedyPassAt1 * 100).toFixed(1)}%` +
    (metrics.sampledPassAt1 === null
      ? ''
      : ` · sampled pass@1 ${(metrics.sampledPassAt1 * 100).toFixed(1)}%`) +
    ` (${metrics.problems} problems)`
  );
}
