import { InvalidArgumentError } from '@oreal-ts/core';
import type { Problem } from '@oreal-ts/core';

/** A pass-rate bin `[min, max)` and how many times its problems are repeated. */
export interface PassRateBin {
  readonly min: number;
  readonly max: number;
  readonly repeat: number;
}

/**
 * The reference bins (OREAL config `data_difficulty_balance_cfg`): [0, 0.2) ×6, [0.2, 0.4) ×4,
 * [0.4, 0.6) ×4, [0.6, 0.8) ×2. A pass rate in no bin (≥ 0.8) drops the problem.
 */
export const DEFAULT_PASS_RATE_BINS: readonly PassRateBin[] = Object.freeze([
  { min: 0, max: 0.2, repeat: 6 },
  { min: 0.2, max: 0.4, repeat: 4 },
  { min: 0.4, max: 0.6, repeat: 4 },
  { min: 0.6, max: 0.8, repeat: 2 },
]);

/** What to do with a problem that carries no `passRate`. */
export type MissingPassRate = 'keep-once' | 'drop' | 'error';

/** Options of `balanceByPassRate`. */
export interface BalanceOptions {
  /**
   * Problems without a measured pass rate. Default `keep-once`: the reference never sees such
   * problems (its prompt set is pre-measured), and keeping them once neither invents a
   * difficulty nor silently shrinks a data set that was not measured at all.
   */
  readonly missingPassRate?: MissingPassRate;
}

/**
 * Offline difficulty balancing (oreal-method.md, "Prompt selection"): repeat each problem by the
 * bin its pass rate falls in, drop the problems that fall in no bin (pass rate ≥ 0.8 with the
 * default bins). Copies stay next to each other in input order; shuffle afterwards if needed.
 *
 * Shapes: problems `[P]` → problems `[Σ repeat(p)]`.
 */
export function balanceByPassRate(
  problems: readonly Problem[],
  bins: readonly PassRateBin[] = DEFAULT_PASS_RATE_BINS,
  options: BalanceOptions = {},
): Problem[] {
  bins.forEach((bin, i) => {
    if (!(bin.min < bin.max) || !Number.isInteger(bin.repeat) || bin.repeat < 0) {
      throw new InvalidArgumentError(`bins[${i}]`, `needs min < max and a non-negative integer repeat, got ${JSON.stringify(bin)}`);
    }
  });
  const missing = options.missingPassRate ?? 'keep-once';
  const out: Problem[] = [];
  for (const problem of problems) {
    const rate = problem.passRate;
    if (rate === undefined) {
      if (missing === 'error') {
        throw new InvalidArgumentError(`problem '${problem.id}'`, 'has no passRate; measure pass rates first or pass missingPassRate: "keep-once"');
      }
      if (missing === 'keep-once') out.push(problem);
      continue;
    }
    if (!(rate >= 0 && rate <= 1)) {
      throw new InvalidArgumentError(`problem '${problem.id}'.passRate`, `must be in [0, 1], got ${rate}`);
    }
    const bin = bins.find((b) => rate >= b.min && rate < b.max);
    for (let i = 0; i < (bin?.repeat ?? 0); i++) out.push(problem);
  }
  return out;
}
