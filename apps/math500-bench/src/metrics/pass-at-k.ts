import { InvalidArgumentError } from '@oreal-ts/core';

/**
 * Unbiased pass@k estimator (Chen et al. 2021, "Evaluating Large Language Models Trained on Code", eq. 1)
 * for one problem with `n` samples of which `correct` are correct:
 *
 *     pass@k = 1 − C(n − c, k) / C(n, k)
 *
 * computed in the numerically stable product form 1 − Π_{i = n−c+1}^{n} (1 − k / i), which never forms a
 * binomial coefficient (those overflow doubles from n ≈ 1030). When n − c < k every k-subset holds a
 * correct sample and the estimate is exactly 1.
 */
export function passAtK(n: number, correct: number, k: number): number {
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('n', `must be an integer ≥ 1 (got ${n})`);
  if (!Number.isInteger(correct) || correct < 0 || correct > n) {
    throw new InvalidArgumentError('correct', `must be an integer in [0, n = ${n}] (got ${correct})`);
  }
  if (!Number.isInteger(k) || k < 1 || k > n) throw new InvalidArgumentError('k', `must be an integer in [1, n = ${n}] (got ${k})`);
  if (n - correct < k) return 1;
  let allWrong = 1; // C(n−c, k) / C(n, k)
  for (let i = n - correct + 1; i <= n; i++) allWrong *= 1 - k / i;
  return 1 - allWrong;
}

/**
 * Mean unbiased pass@k over problems, for every k = 1..min(n_i): `counts[i]` = { n, correct } of problem i.
 * Returns `[{ k, value }]` in increasing k; empty when there are no problems.
 */
export function passAtKCurve(counts: readonly { readonly n: number; readonly correct: number }[]): { k: number; value: number }[] {
  if (counts.length === 0) return [];
  const maxK = Math.min(...counts.map((c) => c.n));
  const curve: { k: number; value: number }[] = [];
  for (let k = 1; k <= maxK; k++) {
    let sum = 0;
    for (const c of counts) sum += passAtK(c.n, c.correct, k);
    curve.push({ k, value: sum / counts.length });
  }
  return curve;
}
