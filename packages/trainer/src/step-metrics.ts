import type { VerdictReason } from '@oreal-ts/core';
import { sortReasons } from './evaluate';
import type { RewardModelMetrics, StepMetrics } from './metrics';
import type { CreditShares, HeldOutDiagnostics } from './reward-model-diagnostics';
import type { StepOutcome } from './schedulers/sync';

/** The token reward model's credit diagnostics of a step (see `RewardModelMetrics`). */
export interface RewardModelDiagnostics {
  /** ω⁻ shares on the step's selected negatives, with the weights the objective used (null: none). */
  readonly credit: CreditShares | null;
  /** Accuracy, AUC and credit on the held-out set (null: no held-out set). */
  readonly heldOut: HeldOutDiagnostics | null;
}

/** Input of `buildStepMetrics`: a step's outcome and where the run stands. */
export interface StepMetricsInput {
  readonly step: number;
  readonly epoch: number;
  readonly problems: number;
  readonly outcome: StepOutcome;
  /** performance.now() at the trainer's creation (for `timing.elapsedSeconds`). */
  readonly startedAt: number;
  /** Write the staleness fields even when no rollout carries a version (a weight sync is configured). */
  readonly reportStaleness?: boolean;
  /** The reward model's diagnostics after the step (absent or null: not measured this step). */
  readonly rewardModelDiagnostics?: RewardModelDiagnostics | null;
}

/** The metrics.jsonl line of a step, from its phases' outputs (pure; deterministic fields first, wall-clock ones under `timing`). */
export function buildStepMetrics(input: StepMetricsInput): StepMetrics {
  const { outcome } = input;
  const { graded, selection, weights, loss, update, clock } = outcome;
  const rows = selection.rows;
  const all = graded.flatMap((group) => group.rollouts);
  const correct = all.filter((r) => r.correct).length;
  const reasons: Partial<Record<VerdictReason, number>> = {};
  for (const r of all) reasons[r.verdict.reason] = (reasons[r.verdict.reason] ?? 0) + 1;
  const tokensSampled = all.reduce((sum, r) => sum + r.rollout.tokenIds.length, 0);
  const sampledLogProbs = all.flatMap((r) =>
    r.rollout.logProbs.length === r.rollout.tokenIds.length ? r.rollout.logProbs : [],
  );
  const positives = rows.filter((row) => row.graded.correct);
  const negatives = rows.filter((row) => !row.graded.correct);
  const rm = weights?.rewardModelStep;
  const rewardModel: RewardModelMetrics | null = rm
    ? {
        loss: rm.loss,
        accuracy: rm.accuracy,
        gradNorm: rm.gradNorm,
        meanTokenWeight: weights?.tokenWeights ? mean(weights.tokenWeights.flat()) : null,
        ...(rm.rows === undefined ? {} : { trainedRows: rm.rows }),
        ...(rm.steps === undefined ? {} : { steps: rm.steps }),
        ...(input.rewardModelDiagnostics
          ? { credit: input.rewardModelDiagnostics.credit, heldOut: input.rewardModelDiagnostics.heldOut }
          : {}),
      }
    : null;
  const sampleSeconds = (clock.sampled - clock.start) / 1000;
  return {
    type: 'step',
    step: input.step,
    epoch: input.epoch,
    problems: input.problems,
    rollouts: all.length,
    rolloutsCorrect: correct,
    passRate: all.length === 0 ? 0 : correct / all.length,
    truncatedRate:
      all.length === 0 ? 0 : all.filter((r) => r.rollout.finishReason === 'length').length / all.length,
    verdictReasons: sortReasons(reasons),
    keptGroups: new Set(rows.map((row) => row.choice.groupIndex)).size,
    selectedRollouts: rows.length,
    selectedPositive: positives.length,
    selectedNegative: negatives.length,
    meanAdvantagePositive: positives.length ? mean(positives.map((row) => row.choice.advantage)) : null,
    meanAdvantageNegative: negatives.length ? mean(negatives.map((row) => row.choice.advantage)) : null,
    skipped: outcome.skipped,
    loss: loss?.loss ?? null,
    lossParts: loss?.parts ?? null,
    kl: loss?.kl ?? null,
    entropy: sampledLogProbs.length ? -mean(sampledLogProbs) : null,
    rewardModel,
    tokensSampled,
    meanResponseTokens: all.length === 0 ? 0 : tokensSampled / all.length,
    learningRate: update?.learningRate ?? null,
    gradNorm: update?.gradNorm ?? null,
    clipped: update?.clipped ?? null,
    ...issue14Fields(input),
    timing: {
      stepSeconds: (clock.updated - clock.start) / 1000,
      sampleSeconds,
      verifySeconds: (clock.graded - clock.sampled) / 1000,
      updateSeconds: (clock.updated - clock.graded) / 1000,
      tokensPerSecond: sampleSeconds > 0 ? tokensSampled / sampleSeconds : 0,
      elapsedSeconds: (clock.updated - input.startedAt) / 1000,
      ...(outcome.publication
        ? { publishSeconds: outcome.publication.publishSeconds + (outcome.publication.syncSeconds ?? 0) }
        : {}),
    },
  };
}

/** Staleness, stale drops, log-prob mismatch and TIS fields, each only where it applies. */
function issue14Fields(input: StepMetricsInput): Partial<StepMetrics> {
  const { staleness, droppedStale, loss } = input.outcome;
  const out: Record<string, number | null> = {};
  if (staleness.withVersion > 0 || input.reportStaleness) {
    out['policyVersion'] = staleness.trainerVersion;
    out['stalenessMean'] = staleness.mean;
    out['stalenessMax'] = staleness.max;
    out['rolloutsWithoutVersion'] = staleness.withoutVersion;
  }
  if (droppedStale) {
    out['rolloutsDroppedStale'] = droppedStale.rollouts;
    out['groupsDroppedStale'] = droppedStale.groups;
  }
  const mismatch = loss?.mismatch;
  if (mismatch) {
    out['logprobMismatchMean'] = mismatch.meanAbs;
    out['logprobMismatchMax'] = mismatch.maxAbs;
    out['logprobMismatchKl'] = mismatch.kl;
    out['logprobMismatchTokens'] = mismatch.tokens;
  }
  const tis = loss?.importanceSampling;
  if (tis) {
    out['tisClippedFraction'] = tis.clippedFraction;
    out['tisMeanRatio'] = tis.meanRatio;
    out['tisRowsWithoutLogProbs'] = tis.rowsWithoutLogProbs;
  }
  return out as Partial<StepMetrics>;
}

/** Arithmetic mean (0 for no values). */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** The human-readable progress line of a step (what `onLog` gets every `logEvery` steps). */
export function formatStepLine(m: StepMetrics, totalSteps: number): string {
  const parts = [
    `step ${m.step}/${totalSteps}`,
    `pass ${(m.passRate * 100).toFixed(1)}%`,
    `kept ${m.keptGroups}/${m.problems}`,
    m.loss === null ? `no update (${m.skipped})` : `loss ${m.loss.toFixed(4)}`,
  ];
  if (m.kl !== null) parts.push(`kl ${m.kl.toExponential(2)}`);
  if (m.rewardModel)
    parts.push(`rm bce ${m.rewardModel.loss.toFixed(3)} acc ${(m.rewardModel.accuracy * 100).toFixed(0)}%`);
  const heldOut = m.rewardModel?.heldOut;
  if (heldOut && heldOut.accuracy !== null)
    parts.push(
      `rm held-out acc ${(heldOut.accuracy * 100).toFixed(0)}%` +
        (heldOut.auc === null ? '' : ` auc ${heldOut.auc.toFixed(2)}`) +
        (heldOut.credit ? ` ω⁻ on 1st wrong ${(heldOut.credit.onFirstWrong * 100).toFixed(0)}%` : ''),
    );
  if (m.gradNorm !== null) parts.push(`|g| ${m.gradNorm.toFixed(3)}`);
  parts.push(`${Math.round(m.timing.tokensPerSecond)} tok/s`, `${m.timing.stepSeconds.toFixed(1)} s`);
  return parts.join(' · ');
}
