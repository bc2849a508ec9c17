import { InvalidArgumentError } from '@oreal-ts/core';

/** pass@1 with its 95% confidence interval. */
export interface PassAtOne {
  /** Mean over problems of the per-problem fraction of correct samples. */
  readonly value: number;
  /** Lower end of the 95% interval, clamped to [0, 1]. */
  readonly lower: number;
  /** Upper end of the 95% interval, clamped to [0, 1]. */
  readonly upper: number;
  /** Standard error of the mean over problems. */
  readonly standardError: number;
  /** Number of problems. */
  readonly problems: number;
}

/** z-quantile of a two-sided 95% interval. */
export const Z_95 = 1.959963984540054;

/**
 * pass@1 = (1/N) Σ_i c_i / n_i, the mean over the K samples of each problem, then over problems.
 *
 * Confidence interval: normal approximation OVER PROBLEMS (the central limit theorem applied to the N
 * per-problem means, as in Miller 2024, "Adding Error Bars to Evals", eq. for clustered/resampled
 * questions): value ± z₀.₉₇₅ · s / √N, with s the sample standard deviation (N − 1) of the per-problem
 * means c_i / n_i. Treating problems (not samples) as the unit makes the interval answer "how much would
 * the score move on another draw of problems like these", and averaging K samples per problem shrinks the
 * within-problem part of the variance automatically. With N = 1 the interval is [value, value] (s is undefined).
 */
export function passAtOne(counts: readonly { readonly n: number; readonly correct: number }[]): PassAtOne {
  const N = counts.length;
  if (N === 0) return { value: 0, lower: 0, upper: 0, standardError: 0, problems: 0 };
  const rates = counts.map((c, i) => {
    if (c.n < 1 || c.correct < 0 || c.correct > c.n) {
      throw new InvalidArgumentError(`counts[${i}]`, `need 0 ≤ correct ≤ n and n ≥ 1 (got ${c.correct}/${c.n})`);
    }
    return c.correct / c.n;
  });
  const mean = rates.reduce((s, r) => s + r, 0) / N;
  const variance = N > 1 ? rates.reduce((s, r) => s + (r - mean) ** 2, 0) / (N - 1) : 0;
  const standardError = Math.sqrt(variance / N);
  return {
    value: mean,
    lower: Math.max(0, mean - Z_95 * standardError),
    upper: Math.min(1, mean + Z_95 * standardError),
    standardError,
    problems: N,
  };
}
