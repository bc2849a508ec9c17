import type { Objective, TokenBatch, TrainablePolicy } from '@oreal-ts/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lossPhase } from './phases/loss';
import type { TrainingRow } from './phases/select';
import { logProbMismatch, truncatedImportanceRatios, weightGradient } from './sampler-mismatch';

const logProb = fc.double({ min: -12, max: 0, noNaN: true });
const rowsOf = (length: number) =>
  fc.array(fc.array(logProb, { minLength: length, maxLength: length }), { minLength: 1, maxLength: 4 });
const pairedRows = fc
  .integer({ min: 1, max: 6 })
  .chain((length) => fc.tuple(rowsOf(length), rowsOf(length)))
  .map(([a, b]) => {
    const n = Math.min(a.length, b.length);
    return [a.slice(0, n), b.slice(0, n)] as const;
  });

describe('logProbMismatch', () => {
  it('is zero for equal inputs', () => {
    fc.assert(
      fc.property(rowsOf(3), (rows) => {
        const m = logProbMismatch(rows, rows);
        expect(m).toMatchObject({ meanAbs: 0, maxAbs: 0, kl: 0, tokens: rows.length * 3, rowsWithout: 0 });
      }),
    );
  });

  it('has k3 ≥ 0, mean ≤ max, and a symmetric |Δ|', () => {
    fc.assert(
      fc.property(pairedRows, ([trainer, sampler]) => {
        const forward = logProbMismatch(trainer, sampler);
        const backward = logProbMismatch(sampler, trainer);
        expect(forward!.kl).toBeGreaterThanOrEqual(0);
        expect(forward!.meanAbs).toBeLessThanOrEqual(forward!.maxAbs + 1e-15);
        expect(backward!.meanAbs).toBeCloseTo(forward!.meanAbs, 12);
        expect(backward!.maxAbs).toBe(forward!.maxAbs);
      }),
    );
  });

  it('skips and counts rows without aligned sampler log-probs; null when nothing is compared', () => {
    const m = logProbMismatch([[-1, -2], [-0.5], [-3]], [[-1.5, -2], undefined, [-3, -1]]);
    expect(m).toEqual({
      tokens: 2,
      rowsWithout: 2,
      meanAbs: 0.25,
      maxAbs: 0.5,
      kl: (Math.exp(0.5) - 1 - 0.5) / 2,
    });
    expect(logProbMismatch([[-1]], [undefined])).toBeNull();
  });
});

describe('truncated importance ratios', () => {
  it('never exceed the cap and count the tokens at it', () => {
    fc.assert(
      fc.property(pairedRows, fc.double({ min: 0.5, max: 5, noNaN: true }), ([trainer, sampler], cap) => {
        const tis = truncatedImportanceRatios(trainer, sampler, cap);
        const all = tis.ratios.flatMap((row) => row ?? []);
        all.forEach((w) => expect(w).toBeLessThanOrEqual(cap));
        all.forEach((w) => expect(w).toBeGreaterThan(0));
        const over = trainer.flatMap((row, r) =>
          row.filter((l, t) => Math.exp(l - (sampler[r]![t] as number)) > cap),
        );
        expect(tis.clippedTokens).toBe(over.length);
        expect(tis.meanRatio).toBeLessThanOrEqual(cap * (1 + 1e-12));
      }),
    );
  });

  it('ratio 1 leaves the gradient bit-identical; rows without sampler log-probs keep theirs', () => {
    fc.assert(
      fc.property(
        rowsOf(4),
        fc.array(
          fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 4, maxLength: 4 }),
          { minLength: 1, maxLength: 4 },
        ),
        (rows, gradient) => {
          const g = gradient.slice(0, rows.length);
          const r = rows.slice(0, g.length);
          const tis = truncatedImportanceRatios(r, r, 2);
          expect(weightGradient(g, tis.ratios)).toEqual(g);
          expect(
            weightGradient(
              g,
              g.map(() => undefined),
            ),
          ).toEqual(g);
        },
      ),
    );
  });
});

/** A policy stub whose `accumulateGradients` hands fixed log-probs to the loss. */
function fixedLogProbPolicy(values: number[][]): TrainablePolicy {
  return {
    accumulateGradients: async (_batch: TokenBatch, loss: (v: number[][]) => unknown) => loss(values),
  } as unknown as TrainablePolicy;
}

function rowsFor(samplerLogProbs: (number[] | undefined)[], advantages: number[]): TrainingRow[] {
  return samplerLogProbs.map((lp, i) => {
    const length = lp?.length ?? 3;
    return {
      choice: {
        groupIndex: 0,
        rolloutIndex: i,
        reward: advantages[i]! > 0 ? 1 : -1,
        advantage: advantages[i]!,
        rollout: {} as never,
      },
      graded: {} as never,
      rollout: {
        tokenIds: Array.from({ length }, (_, t) => t + 1),
        logProbs: lp ?? [],
        promptTokenIds: [1],
      } as never,
    };
  });
}

/**
 * A per-token-separable loss: −A·ℓ_t + β·k3(ℓʳ_t, ℓ_t), mean over tokens. Its value's derivative is
 * its gradient, so finite differences of Σ_t sg(w_t)·loss_t check the wrapped gradient.
 */
const beta = 0.1;
function tokenLoss(advantage: number, l: number, ref: number, tokens: number): number {
  const d = ref - l;
  return (-advantage * l + beta * (Math.exp(d) - d - 1)) / tokens;
}
const objective: Objective = {
  specificationVersion: 'v1',
  id: 'test/separable',
  requires: { referenceLogProbs: true, oldLogProbs: false, tokenWeights: false },
  select: () => [],
  compute(rows) {
    const tokens = rows.reduce((s, r) => s + r.logProbs.length, 0);
    let loss = 0;
    const gradient = rows.map((row) =>
      row.logProbs.map((l, t) => {
        const ref = row.referenceLogProbs?.[t] ?? l;
        loss += tokenLoss(row.advantage, l, ref, tokens);
        return (-row.advantage + beta * (1 - Math.exp(ref - l))) / tokens;
      }),
    );
    return { loss, gradient, parts: {} };
  },
};

describe('loss phase with truncated importance sampling', () => {
  const trainerLogProbs = [
    [-0.4, -1.2, -2.0],
    [-0.9, -0.1, -3.0],
    [-1.5, -0.7, -0.2],
  ];
  const sampler = [[-0.5, -0.2, -2.5], undefined, [-1.5, -0.9, -0.3]];
  const rows = rowsFor(sampler, [0.8, -0.6, 0.4]);
  const weights = {
    referenceLogProbs: [
      [-0.5, -1, -2],
      [-1, -0.2, -2.5],
      [-1.2, -0.8, -0.3],
    ],
  };
  const batch = { promptIds: rows.map(() => [1]), responseIds: rows.map((r) => [...r.rollout.tokenIds]) };

  it('the wrapped gradient equals the ratio times the objective gradient (finite differences)', async () => {
    const cap = 1.5;
    const out = await lossPhase({
      policy: fixedLogProbPolicy(trainerLogProbs),
      objective,
      rows,
      batch,
      weights,
      importanceSamplingCap: cap,
    });
    const plain = objective.compute(
      rows.map((row, i) => ({
        reward: 0,
        advantage: row.choice.advantage,
        logProbs: trainerLogProbs[i]!,
        referenceLogProbs: weights.referenceLogProbs[i]!,
      })),
    );
    const ratio = (r: number, t: number) => {
      const s = sampler[r];
      return s ? Math.min(Math.exp(trainerLogProbs[r]![t]! - s[t]!), cap) : 1;
    };
    // The surrogate Σ_t sg(w_t)·loss_t, differentiated numerically with the ratios held fixed.
    const surrogate = (values: number[][]) =>
      values.reduce(
        (sum, row, r) =>
          sum +
          row.reduce(
            (s, l, t) =>
              s + ratio(r, t) * tokenLoss(rows[r]!.choice.advantage, l, weights.referenceLogProbs[r]![t]!, 9),
            0,
          ),
        0,
      );
    const h = 1e-6;
    trainerLogProbs.forEach((row, r) =>
      row.forEach((l, t) => {
        const plus = trainerLogProbs.map((x) => [...x]);
        const minus = trainerLogProbs.map((x) => [...x]);
        plus[r]![t] = l + h;
        minus[r]![t] = l - h;
        const fd = (surrogate(plus) - surrogate(minus)) / (2 * h);
        expect(out.gradient[r]![t]).toBeCloseTo(fd, 7);
        expect(out.gradient[r]![t]).toBe(plain.gradient[r]![t]! * ratio(r, t));
      }),
    );
    expect(out.loss).toBe(plain.loss); // the reported loss stays the objective's
    expect(out.importanceSampling).toMatchObject({ cap, rowsWithoutLogProbs: 1 });
    // Ratios of the 6 weighted tokens: exp(0.1), exp(−1), exp(0.5) > 1.5 | exp(0), exp(0.2), exp(0.1).
    expect(out.importanceSampling!.clippedFraction).toBeCloseTo(1 / 6, 12);
    expect(out.mismatch).toMatchObject({ tokens: 6, rowsWithout: 1 });
  });

  it('off, and on with sampler log-probs equal to the trainer’s, give the same loss and gradient bit for bit', async () => {
    const sameRows = rowsFor(trainerLogProbs, [0.8, -0.6, 0.4]);
    const off = await lossPhase({
      policy: fixedLogProbPolicy(trainerLogProbs),
      objective,
      rows: sameRows,
      batch,
      weights,
    });
    const on = await lossPhase({
      policy: fixedLogProbPolicy(trainerLogProbs),
      objective,
      rows: sameRows,
      batch,
      weights,
      importanceSamplingCap: 2,
    });
    expect(on.loss).toBe(off.loss);
    expect(on.gradient).toEqual(off.gradient);
    expect(on.importanceSampling).toEqual({
      cap: 2,
      clippedFraction: 0,
      meanRatio: 1,
      rowsWithoutLogProbs: 0,
    });
    expect(off.importanceSampling).toBeNull();
    expect(off.mismatch).toMatchObject({ meanAbs: 0, maxAbs: 0, kl: 0 });
  });

  it('clips a token whose ratio exceeds the cap', async () => {
    const far = rowsFor([[-3, -1.2, -2], undefined, [-1.5, -0.7, -0.2]], [0.8, -0.6, 0.4]);
    const out = await lossPhase({
      policy: fixedLogProbPolicy(trainerLogProbs),
      objective,
      rows: far,
      batch,
      weights,
      importanceSamplingCap: 2,
    });
    expect(out.importanceSampling!.clippedFraction).toBeCloseTo(1 / 6, 12); // exp(−0.4 + 3) > 2
  });
});
