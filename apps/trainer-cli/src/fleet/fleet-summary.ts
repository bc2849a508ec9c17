import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { parseJsonl } from '@oreal-ts/core';
import { writeJsonAtomic } from '@oreal-ts/core/node';
import type { EvalMetrics } from '@oreal-ts/trainer';
import type { DeliveryCounts } from './delivery-audit';

/** The fields of a metrics.jsonl step line the fleet summary reads (others pass through). */
const StepLineSchema = z.looseObject({
  type: z.literal('step'),
  step: z.number(),
  stalenessMax: z.number().nullable().optional(),
  stalenessMean: z.number().nullable().optional(),
  logprobMismatchMean: z.number().nullable().optional(),
  logprobMismatchMax: z.number().nullable().optional(),
  rolloutsDroppedStale: z.number().nullable().optional(),
});

/** `fleet-summary.json`: what a fleet run did (pass rates as fractions). */
export interface FleetSummary {
  readonly schedule: string;
  readonly servers: number;
  /** Publications the servers loaded (lines of weights.jsonl, the start weights included). */
  readonly weightSyncs: number;
  /** Largest per-step staleness (trainer version − rollout version); null when no step reported it. */
  readonly maxStaleness: number | null;
  readonly meanStaleness: number | null;
  /** Rollouts delivered by the sampler (training and held-out evaluation). */
  readonly rollouts: number;
  readonly rolloutsDuplicated: number;
  readonly rolloutsLost: number;
  readonly rolloutsDroppedStale: number;
  readonly rolloutVersions: Readonly<Record<string, number>>;
  /** Mean over steps of the per-step mean |ℓ_trainer − ℓ_server| of sampled tokens; null when unmeasured. */
  readonly meanAbsLogprobMismatch: number | null;
  readonly maxAbsLogprobMismatch: number | null;
  readonly heldOutGreedyBefore: number;
  readonly heldOutGreedyAfter: number;
  readonly wallSeconds: number;
}

function finite(values: readonly (number | null | undefined)[]): number[] {
  return values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

/** Summarise a fleet run from its metrics.jsonl, weights.jsonl and the sampler's delivery counts. Pure but for reading the two files. */
export async function summariseFleetRun(options: {
  readonly rlDir: string;
  readonly servers: number;
  readonly schedule: string;
  readonly counts: DeliveryCounts;
  readonly before: EvalMetrics;
  readonly after: EvalMetrics;
  readonly wallSeconds: number;
}): Promise<FleetSummary> {
  const metricsFile = join(options.rlDir, 'metrics.jsonl');
  const StepOrOther = z.union([
    StepLineSchema,
    z.looseObject({ type: z.string().refine((t) => t !== 'step') }),
  ]);
  const steps = parseJsonl(await readFile(metricsFile, 'utf8'), metricsFile, StepOrOther)
    .map((record) => record.value)
    .filter((line): line is z.output<typeof StepLineSchema> => line.type === 'step');
  const weightsText = await readFile(join(options.rlDir, 'weights.jsonl'), 'utf8').catch(() => '');
  const weightSyncs = weightsText.split('\n').filter((line) => line.trim() !== '').length;
  const staleMax = finite(steps.map((s) => s.stalenessMax));
  const staleMean = finite(steps.map((s) => s.stalenessMean));
  const mismatch = finite(steps.map((s) => s.logprobMismatchMean));
  const mismatchMax = finite(steps.map((s) => s.logprobMismatchMax));
  const mean = (values: number[]) =>
    values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
  return {
    schedule: options.schedule,
    servers: options.servers,
    weightSyncs,
    maxStaleness: staleMax.length === 0 ? null : Math.max(...staleMax),
    meanStaleness: mean(staleMean),
    rollouts: options.counts.rollouts,
    rolloutsDuplicated: options.counts.duplicated,
    rolloutsLost: options.counts.lost,
    rolloutsDroppedStale: finite(steps.map((s) => s.rolloutsDroppedStale)).reduce((a, b) => a + b, 0),
    rolloutVersions: options.counts.versions,
    meanAbsLogprobMismatch: mean(mismatch),
    maxAbsLogprobMismatch: mismatchMax.length === 0 ? null : Math.max(...mismatchMax),
    heldOutGreedyBefore: options.before.greedyPassAt1,
    heldOutGreedyAfter: options.after.greedyPassAt1,
    wallSeconds: options.wallSeconds,
  };
}

/** Write `<runDir>/fleet-summary.json` and return its path. */
export async function writeFleetSummary(
  options: Parameters<typeof summariseFleetRun>[0] & { readonly runDir: string },
): Promise<string> {
  const { runDir, ...rest } = options;
  const summary = await summariseFleetRun(rest);
  const file = join(runDir, 'fleet-summary.json');
  await writeJsonAtomic(file, summary);
  return file;
}
