import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonlFile } from '@oreal-ts/core/node';
import { lineChartSpec, writeChart, type ChartFiles, type ChartPoint } from './plot';

type MetricsLine = Record<string, unknown> & { type?: string; step?: number };

function numberAt(record: MetricsLine, path: string): number | undefined {
  let value: unknown = record;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Points of a run's learning curve from its metrics lines: pass rates (rollouts, held-out greedy
 * and sampled pass@1), the loss and its parts, KL / reward-model accuracy, and the token reward
 * model's held-out accuracy, AUC and ω⁻ credit on the first wrong token (when recorded).
 */
export function learningCurvePoints(records: readonly MetricsLine[], label = ''): ChartPoint[] {
  const prefix = label ? `${label} ` : '';
  const points: ChartPoint[] = [];
  const add = (record: MetricsLine, path: string, series: string, panel: string, scale = 1) => {
    const value = numberAt(record, path);
    if (value !== undefined && typeof record.step === 'number')
      points.push({ x: record.step, y: value * scale, series: prefix + series, panel });
  };
  for (const record of records) {
    if (record.type === 'step') {
      add(record, 'passRate', 'rollout pass rate', 'pass rate (%)', 100);
      add(record, 'loss', 'loss', 'loss');
      add(record, 'kl', 'KL to reference', 'KL and token-RM accuracy');
      add(record, 'rewardModel.accuracy', 'token-RM accuracy', 'KL and token-RM accuracy');
      add(record, 'rewardModel.heldOut.accuracy', 'accuracy', 'token RM on held-out rollouts');
      add(record, 'rewardModel.heldOut.auc', 'AUC', 'token RM on held-out rollouts');
      add(record, 'rewardModel.heldOut.withinProblemAuc', 'AUC within a problem', 'token RM on held-out rollouts');
      add(record, 'rewardModel.heldOut.credit.onFirstWrong', 'ω⁻ on first wrong token (held-out)', 'token-RM credit (% of ω⁻ mass)', 100);
      add(record, 'rewardModel.heldOut.credit.atOrAfterFirstWrong', 'ω⁻ at/after first wrong token (held-out)', 'token-RM credit (% of ω⁻ mass)', 100);
      add(record, 'rewardModel.heldOut.credit.uniformOnFirstWrong', 'uniform on first wrong token', 'token-RM credit (% of ω⁻ mass)', 100);
      add(record, 'rewardModel.credit.onFirstWrong', 'ω⁻ on first wrong token (trained batch)', 'token-RM credit (% of ω⁻ mass)', 100);
      add(record, 'rewardModel.heldOut.lowestScore.onFirstWrong', 'lowest score at first wrong token (held-out)', 'token-RM credit (% of ω⁻ mass)', 100);
      add(record, 'rewardModel.heldOut.lowestScore.uniform', 'lowest score at first wrong token by chance', 'token-RM credit (% of ω⁻ mass)', 100);
    } else if (record.type === 'eval') {
      add(record, 'greedyPassAt1', 'held-out greedy pass@1', 'pass rate (%)', 100);
      add(record, 'sampledPassAt1', 'held-out sampled pass@1', 'pass rate (%)', 100);
    }
  }
  return points;
}

/** Read `<runDir>/metrics.jsonl` and write `learning-curve.svg` / `.png` beside it. Null when there are no metrics. */
export async function writeLearningCurve(runDir: string, title: string): Promise<ChartFiles | null> {
  const file = join(runDir, 'metrics.jsonl');
  if (!existsSync(file)) return null;
  const records = (await readJsonlFile(file)).map((r) => r.value as MetricsLine);
  const points = learningCurvePoints(records);
  if (points.length === 0) return null;
  return writeChart(lineChartSpec(title, points), join(runDir, 'learning-curve'));
}
