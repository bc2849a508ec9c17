import type { CurveEval, RewardModelDiagnostics } from './ablation-stats';

type MetricsLine = Readonly<Record<string, unknown>>;

/** The number at a dotted path of a record (`rewardModel.heldOut.auc`), or undefined. */
export function numberAtPath(record: MetricsLine, path: string): number | undefined {
  let value: unknown = record;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

const stepOf = (record: MetricsLine) => numberAtPath(record, 'step');

/**
 * The evaluations of one arm's metrics.jsonl lines with the rollouts sampled up to each: the
 * cumulative `rollouts` of the step lines with step ≤ the evaluation's step (a step line written
 * twice, e.g. by a resume, counts once: the last one). `start` (the SFT evaluation) is added at
 * step 0 with 0 rollouts when the lines have no step-0 evaluation. Sorted by step, one per step.
 */
export function evalsWithRollouts(
  records: readonly MetricsLine[],
  start?: { readonly greedyPassAt1: number } | null,
): CurveEval[] {
  const rolloutsByStep = new Map<number, number>();
  const greedyByStep = new Map<number, number>();
  for (const record of records) {
    const step = stepOf(record);
    if (step === undefined) continue;
    if (record['type'] === 'step') rolloutsByStep.set(step, numberAtPath(record, 'rollouts') ?? 0);
    if (record['type'] === 'eval') {
      const greedy = numberAtPath(record, 'greedyPassAt1');
      if (greedy !== undefined) greedyByStep.set(step, greedy);
    }
  }
  if (start && !greedyByStep.has(0)) greedyByStep.set(0, start.greedyPassAt1);
  const steps = [...rolloutsByStep.entries()].sort(([a], [b]) => a - b);
  return [...greedyByStep.entries()]
    .sort(([a], [b]) => a - b)
    .map(([step, greedyPassAt1]) => ({
      step,
      rollouts: steps.filter(([s]) => s <= step).reduce((sum, [, r]) => sum + r, 0),
      greedyPassAt1,
    }));
}

/** Rollout pass rate per RL step (the last line of a step wins), sorted by step. */
export function stepPassRates(records: readonly MetricsLine[]): { step: number; passRate: number }[] {
  const byStep = new Map<number, number>();
  for (const record of records) {
    const step = stepOf(record);
    const passRate = numberAtPath(record, 'passRate');
    if (record['type'] === 'step' && step !== undefined && passRate !== undefined) byStep.set(step, passRate);
  }
  return [...byStep.entries()].sort(([a], [b]) => a - b).map(([step, passRate]) => ({ step, passRate }));
}

/** Where each token-RM diagnostic sits in a step line. */
export const REWARD_MODEL_DIAGNOSTIC_PATHS: Readonly<Record<keyof RewardModelDiagnostics, string>> = {
  heldOutAccuracy: 'rewardModel.heldOut.accuracy',
  heldOutAuc: 'rewardModel.heldOut.auc',
  creditOnFirstWrong: 'rewardModel.credit.onFirstWrong',
  creditAtOrAfterFirstWrong: 'rewardModel.credit.atOrAfterFirstWrong',
};

/**
 * The token-RM diagnostics of a run: each read at the last step line (in file order) that has a
 * finite number there; null when no line has it (no reward model, or a trainer that does not log it).
 */
export function rewardModelDiagnostics(records: readonly MetricsLine[]): RewardModelDiagnostics {
  const out: Record<string, number | null> = {};
  for (const [key, path] of Object.entries(REWARD_MODEL_DIAGNOSTIC_PATHS)) {
    let last: number | null = null;
    for (const record of records) {
      if (record['type'] !== 'step') continue;
      const value = numberAtPath(record, path);
      if (value !== undefined) last = value;
    }
    out[key] = last;
  }
  return out as RewardModelDiagnostics;
}
