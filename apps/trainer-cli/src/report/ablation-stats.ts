/**
 * Pure statistics of a multi-seed `oreal ablate`: Student-t confidence intervals, rollouts to a
 * target pass@1, token-RM diagnostic means and learning-curve bands, aggregated per arm over the
 * seeds. No I/O: the command reads the runs and hands the per-seed results in.
 */
import { InvalidArgumentError } from '@oreal-ts/core';
import { z } from 'zod';

/** One held-out evaluation of an arm: RL step, rollouts sampled up to it, greedy pass@1. */
export const CurveEvalSchema = z.object({
  step: z.number().int().min(0),
  rollouts: z.number().min(0),
  greedyPassAt1: z.number().min(0).max(1),
});
/** See `CurveEvalSchema`. */
export type CurveEval = z.infer<typeof CurveEvalSchema>;

/** Token-RM diagnostics of one run (read at the last step line that has each; null when absent). */
export const RewardModelDiagnosticsSchema = z.object({
  heldOutAccuracy: z.number().nullable(),
  heldOutAuc: z.number().nullable(),
  creditOnFirstWrong: z.number().nullable(),
  creditAtOrAfterFirstWrong: z.number().nullable(),
});
/** See `RewardModelDiagnosticsSchema`. */
export type RewardModelDiagnostics = z.infer<typeof RewardModelDiagnosticsSchema>;

/** The fields of `RewardModelDiagnostics`, in table order. */
export const REWARD_MODEL_DIAGNOSTICS = [
  'heldOutAccuracy',
  'heldOutAuc',
  'creditOnFirstWrong',
  'creditAtOrAfterFirstWrong',
] as const satisfies readonly (keyof RewardModelDiagnostics)[];

/** One arm of one seed: its final held-out greedy pass@1, its evaluations and curve, its RM diagnostics. */
export const SeedArmResultSchema = z.object({
  variant: z.string(),
  label: z.string(),
  finalGreedyPassAt1: z.number().min(0).max(1),
  /** Evaluations in step order, the SFT start (step 0, 0 rollouts) first. */
  evals: z.array(CurveEvalSchema),
  /** Rollout pass rate per RL step. */
  stepPassRates: z.array(z.object({ step: z.number().int(), passRate: z.number() })),
  rewardModel: RewardModelDiagnosticsSchema,
});
/** See `SeedArmResultSchema`. */
export type SeedArmResult = z.infer<typeof SeedArmResultSchema>;

/** Everything one seed of the ablation contributes (written to its ablation.json as `seedResult`). */
export const SeedResultSchema = z.object({
  seed: z.number().int(),
  /** The trainer's seed of this run (follows `seed` unless set explicitly). */
  trainerSeed: z.number().int(),
  /** Null when the run stopped before the SFT start was evaluated. */
  sftGreedyPassAt1: z.number().min(0).max(1).nullable(),
  backend: z.string(),
  heldOutProblems: z.number().int().min(0),
  arms: z.array(SeedArmResultSchema),
});
/** See `SeedResultSchema`. */
export type SeedResult = z.infer<typeof SeedResultSchema>;

/** Mean, sample standard deviation and a two-sided 95% Student-t interval of a sample. */
export interface MeanInterval {
  readonly n: number;
  /** Null for an empty sample. */
  readonly mean: number | null;
  /** Sample standard deviation (divisor n − 1); null for n < 2. */
  readonly sd: number | null;
  /** [mean − h, mean + h] with h = t₀.₉₇₅(n − 1) · sd / √n; null for n < 2 ([m, m] when sd = 0). */
  readonly ci95: readonly [number, number] | null;
  /** h, null for n < 2. */
  readonly halfWidth: number | null;
}

// Simpson's rule of f on [a, b] with an even number of intervals.
function simpson(f: (x: number) => number, a: number, b: number, intervals = 2048): number {
  const h = (b - a) / intervals;
  let sum = f(a) + f(b);
  for (let i = 1; i < intervals; i++) sum += f(a + i * h) * (i % 2 === 1 ? 4 : 2);
  return (sum * h) / 3;
}

/**
 * The quantile t_p(ν) of Student's t distribution with ν ≥ 1 degrees of freedom, for
 * 0.5 < p < 1 (t_{0.975}(ν) is the two-sided 95% critical value).
 *
 * Computed, not tabulated: with T = √ν tan θ the density of θ is ∝ cos^{ν−1} θ on (−π/2, π/2),
 * so P(|T| ≤ √ν tan θ) = ∫₀^θ cos^{ν−1} / ∫₀^{π/2} cos^{ν−1}. We solve that for 2p − 1 by
 * bisection on θ with Simpson's rule; both integrals stop at min(π/2, 12/√ν), beyond which
 * cos^{ν−1} θ < e^{−70} of its peak. Accurate to ~1e-9 (tested against the textbook table).
 */
export function studentTQuantile(p: number, dof: number): number {
  if (!(p > 0.5 && p < 1)) throw new InvalidArgumentError('p', `must be in (0.5, 1), got ${p}`);
  if (!(Number.isFinite(dof) && dof >= 1)) {
    throw new InvalidArgumentError('dof', `degrees of freedom must be a finite number ≥ 1, got ${dof}`);
  }
  const power = dof - 1;
  const density = (theta: number) => Math.cos(theta) ** power;
  const upper = Math.min(Math.PI / 2, 12 / Math.sqrt(dof));
  const total = simpson(density, 0, upper);
  const wanted = (2 * p - 1) * total;
  let lo = 0;
  let hi = upper;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (simpson(density, 0, mid, 512) < wanted) lo = mid;
    else hi = mid;
  }
  return Math.sqrt(dof) * Math.tan((lo + hi) / 2);
}

const tCache = new Map<number, number>();

/** t₀.₉₇₅(ν), memoised (a few ms the first time per ν). */
export function studentT975(dof: number): number {
  let value = tCache.get(dof);
  if (value === undefined) {
    value = studentTQuantile(0.975, dof);
    tCache.set(dof, value);
  }
  return value;
}

/**
 * Mean and 95% Student-t interval (n − 1 degrees of freedom) of finite values. n = 0: every
 * field null; n = 1: the mean only (no spread can be estimated, so no interval).
 */
export function meanWithCi95(values: readonly number[]): MeanInterval {
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`values[${i}]`, `must be finite, got ${v}`);
  });
  const n = values.length;
  if (n === 0) return { n, mean: null, sd: null, ci95: null, halfWidth: null };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n === 1) return { n, mean, sd: null, ci95: null, halfWidth: null };
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const halfWidth = (studentT975(n - 1) * sd) / Math.sqrt(n);
  return { n, mean, sd, ci95: [mean - halfWidth, mean + halfWidth], halfWidth };
}

/**
 * Rollouts sampled until the first evaluation whose greedy pass@1 is ≥ `target` (0 when the SFT
 * start already is); null when no evaluation reaches it. `evals` in step order.
 */
export function rolloutsToTarget(evals: readonly CurveEval[], target: number): number | null {
  const hit = [...evals].sort((a, b) => a.step - b.step).find((e) => e.greedyPassAt1 >= target);
  return hit === undefined ? null : hit.rollouts;
}

/**
 * The default target pass@1 of "rollouts to target": halfway from the mean SFT greedy pass@1 to
 * 1, m + (1 − m)/2 — relative to the start, so it means "closed half the gap" at any scale
 * (a fixed 0.9 is out of reach for some configs and reached by SFT alone in others).
 */
export function defaultTarget(sftPassAt1: readonly number[]): number {
  if (sftPassAt1.length === 0) throw new InvalidArgumentError('sftPassAt1', 'needs at least one seed');
  const mean = sftPassAt1.reduce((s, v) => s + v, 0) / sftPassAt1.length;
  return mean + (1 - mean) / 2;
}

/** Rollouts to target over the seeds: per-seed values (null = not reached), stats over those that reached it. */
export interface RolloutsToTargetSummary extends MeanInterval {
  readonly values: readonly (number | null)[];
  readonly reached: number;
  readonly of: number;
}

/** One arm aggregated over the seeds. */
export interface ArmSummary extends MeanInterval {
  readonly variant: string;
  readonly label: string;
  /** The seeds that ran this arm, in order; `values[i]` belongs to `seeds[i]`. */
  readonly seeds: readonly number[];
  /** Final held-out greedy pass@1 per seed. */
  readonly values: readonly number[];
  readonly rolloutsToTarget: RolloutsToTargetSummary;
  /** Each diagnostic's mean/CI over the seeds that logged it (n = 0: none did). */
  readonly rewardModel: Readonly<Record<keyof RewardModelDiagnostics, MeanInterval>>;
}

/**
 * Aggregate per arm over the seeds (arms in the order of their first appearance): final greedy
 * pass@1 mean and 95% CI, rollouts to `target` (mean/CI over the seeds that reached it, reached
 * k of n), and the token-RM diagnostics' means.
 */
export function aggregateArms(seeds: readonly SeedResult[], target: number): ArmSummary[] {
  const order: string[] = [];
  const byArm = new Map<string, { seed: number; arm: SeedArmResult }[]>();
  for (const result of seeds) {
    for (const arm of result.arms) {
      if (!byArm.has(arm.variant)) {
        order.push(arm.variant);
        byArm.set(arm.variant, []);
      }
      byArm.get(arm.variant)?.push({ seed: result.seed, arm });
    }
  }
  return order.map((variant) => {
    const runs = byArm.get(variant) ?? [];
    const values = runs.map((r) => r.arm.finalGreedyPassAt1);
    const toTarget = runs.map((r) => rolloutsToTarget(r.arm.evals, target));
    const reachedValues = toTarget.filter((v): v is number => v !== null);
    const rewardModel = Object.fromEntries(
      REWARD_MODEL_DIAGNOSTICS.map((key) => [
        key,
        meanWithCi95(runs.map((r) => r.arm.rewardModel[key]).filter((v): v is number => v !== null)),
      ]),
    ) as Record<keyof RewardModelDiagnostics, MeanInterval>;
    return {
      variant,
      label: runs[0]?.arm.label ?? variant,
      seeds: runs.map((r) => r.seed),
      values,
      ...meanWithCi95(values),
      rolloutsToTarget: {
        values: toTarget,
        ...meanWithCi95(reachedValues),
        reached: reachedValues.length,
        of: toTarget.length,
      },
      rewardModel,
    };
  });
}

/** One x of a curve band: mean, min and max over the seeds that have a point there. */
export interface BandPoint {
  readonly x: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

/** Per x (sorted), the mean / min / max of the y values of several curves (one per seed). */
export function curveBand(curves: readonly (readonly { x: number; y: number }[])[]): BandPoint[] {
  const byX = new Map<number, number[]>();
  for (const curve of curves) {
    for (const { x, y } of curve) {
      if (!byX.has(x)) byX.set(x, []);
      byX.get(x)?.push(y);
    }
  }
  return [...byX.entries()]
    .sort(([a], [b]) => a - b)
    .map(([x, ys]) => ({
      x,
      mean: ys.reduce((s, y) => s + y, 0) / ys.length,
      min: Math.min(...ys),
      max: Math.max(...ys),
      n: ys.length,
    }));
}

/** An arm against a baseline arm, paired by seed (the same SFT start, data order and problems). */
export interface PairedSummary {
  readonly variant: string;
  readonly label: string;
  readonly versus: string;
  /** Final greedy pass@1 of the arm minus the baseline's, per seed both ran: mean and 95% CI. */
  readonly passAt1Difference: MeanInterval & { readonly values: readonly number[] };
  /**
   * Rollouts to the target of the arm minus the baseline's, over the seeds where both reached it
   * (negative: the arm needed fewer); and on how many seeds only one of them reached it.
   */
  readonly rolloutsToTargetDifference: MeanInterval & {
    readonly values: readonly number[];
    readonly onlyArmReached: number;
    readonly onlyBaselineReached: number;
  };
}

/**
 * Paired differences of every other arm against `versus` (e.g. `grpo`): per seed, the arm's final
 * pass@1 and rollouts to `target` minus the baseline's, with the mean and the 95% Student-t
 * interval of the differences. Pairing removes the seed-to-seed spread of the SFT start, which is
 * much larger than the spread between arms, so a paired CI that excludes 0 can separate arms whose
 * unpaired CIs overlap. Empty when no seed ran `versus`.
 */
export function pairedVersus(seeds: readonly SeedResult[], versus: string, target: number): PairedSummary[] {
  const baselineBySeed = new Map<number, SeedArmResult>();
  for (const seed of seeds) {
    const arm = seed.arms.find((a) => a.variant === versus);
    if (arm) baselineBySeed.set(seed.seed, arm);
  }
  if (baselineBySeed.size === 0) return [];
  const order: string[] = [];
  const labels = new Map<string, string>();
  for (const seed of seeds)
    for (const arm of seed.arms)
      if (arm.variant !== versus && !labels.has(arm.variant)) {
        order.push(arm.variant);
        labels.set(arm.variant, arm.label);
      }
  return order.map((variant) => {
    const passDiffs: number[] = [];
    const rolloutDiffs: number[] = [];
    let onlyArmReached = 0;
    let onlyBaselineReached = 0;
    for (const seed of seeds) {
      const base = baselineBySeed.get(seed.seed);
      const arm = seed.arms.find((a) => a.variant === variant);
      if (!base || !arm) continue;
      passDiffs.push(arm.finalGreedyPassAt1 - base.finalGreedyPassAt1);
      const a = rolloutsToTarget(arm.evals, target);
      const b = rolloutsToTarget(base.evals, target);
      if (a !== null && b !== null) rolloutDiffs.push(a - b);
      else if (a !== null) onlyArmReached++;
      else if (b !== null) onlyBaselineReached++;
    }
    return {
      variant,
      label: labels.get(variant) ?? variant,
      versus,
      passAt1Difference: { values: passDiffs, ...meanWithCi95(passDiffs) },
      rolloutsToTargetDifference: { values: rolloutDiffs, ...meanWithCi95(rolloutDiffs), onlyArmReached, onlyBaselineReached },
    };
  });
}
