import type { ObjectiveRow } from '@oreal-ts/core';
import { SeededRng } from '@oreal-ts/core';

/** Random rows: 3 positive and 3 negative responses of 1–6 tokens, with old/reference log-probs and weights. */
export function randomRows(seed: number, options: { oldSpread?: number } = {}): ObjectiveRow[] {
  const rng = new SeededRng(seed);
  const spread = options.oldSpread ?? 0.4;
  return Array.from({ length: 6 }, (_, i) => {
    const length = 1 + rng.int(6);
    const logProbs = Array.from({ length }, () => -0.05 - 3 * rng.next());
    return {
      reward: i % 2 === 0 ? 1 : -1,
      advantage: i % 2 === 0 ? 0.2 + rng.next() : -0.2 - rng.next(),
      logProbs,
      oldLogProbs: logProbs.map((l) => l + spread * (2 * rng.next() - 1)),
      referenceLogProbs: logProbs.map((l) => l + 0.8 * (2 * rng.next() - 1)),
      tokenWeights: logProbs.map(() => rng.next()),
    };
  });
}

/** Replace one log-prob. */
export function perturb(rows: readonly ObjectiveRow[], row: number, token: number, delta: number): ObjectiveRow[] {
  return rows.map((r, i) =>
    i === row ? { ...r, logProbs: r.logProbs.map((l, t) => (t === token ? l + delta : l)) } : r,
  );
}

/**
 * Largest |analytic − central difference| over every token, relative to max(1, |analytic|):
 * `(f(ℓ + h) − f(ℓ − h)) / 2h` with h = 1e-5.
 */
export function maxGradientError(
  rows: readonly ObjectiveRow[],
  loss: (rows: readonly ObjectiveRow[]) => number,
  gradient: readonly (readonly number[])[],
): number {
  const h = 1e-5;
  let worst = 0;
  rows.forEach((row, i) =>
    row.logProbs.forEach((_, t) => {
      const numeric = (loss(perturb(rows, i, t, h)) - loss(perturb(rows, i, t, -h))) / (2 * h);
      const analytic = gradient[i]?.[t] as number;
      worst = Math.max(worst, Math.abs(numeric - analytic) / Math.max(1, Math.abs(analytic)));
    }),
  );
  return worst;
}
