import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aggregateArms,
  curveBand,
  defaultTarget,
  meanWithCi95,
  pairedVersus,
  rolloutsToTarget,
  studentTQuantile,
  studentT975,
  type RewardModelDiagnostics,
  type SeedArmResult,
  type SeedResult,
} from './ablation-stats';

// Two-sided 95% critical values t₀.₉₇₅(ν), ν = 1..30, from the standard statistical tables
// (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2), to 3 decimals.
const T975_TABLE = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
  2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048,
  2.045, 2.042,
];

const finite = fc.double({ min: -1e3, max: 1e3, noNaN: true, noDefaultInfinity: true });

describe('Student-t quantiles', () => {
  it('match the textbook table of t₀.₉₇₅(ν) for ν = 1..30', () => {
    T975_TABLE.forEach((expected, i) => expect(Math.abs(studentT975(i + 1) - expected)).toBeLessThan(6e-4));
  });

  it('match closed forms (ν = 1: tan(π(p − ½)); ν = 2: (2p−1)·√(2/(1−(2p−1)²))) and the normal limit', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.55, max: 0.995, noNaN: true }), (p) => {
        expect(studentTQuantile(p, 1)).toBeCloseTo(Math.tan(Math.PI * (p - 0.5)), 6);
        const a = 2 * p - 1;
        expect(studentTQuantile(p, 2)).toBeCloseTo(a * Math.sqrt(2 / (1 - a * a)), 6);
      }),
      { numRuns: 25 },
    );
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.959964, 4);
    expect(studentTQuantile(0.95, 10)).toBeCloseTo(1.812, 3);
  });

  it('decrease with the degrees of freedom and stay above the normal quantile', () => {
    for (let dof = 1; dof < 60; dof++) {
      expect(studentT975(dof + 1)).toBeLessThan(studentT975(dof));
      expect(studentT975(dof)).toBeGreaterThan(1.959);
    }
    expect(() => studentTQuantile(0.975, 0.5)).toThrow(/dof/);
    expect(() => studentTQuantile(0.4, 3)).toThrow(/\(0.5, 1\)/);
  });
});

describe('meanWithCi95', () => {
  it('n = 0 and n = 1 have no interval', () => {
    expect(meanWithCi95([])).toEqual({ n: 0, mean: null, sd: null, ci95: null, halfWidth: null });
    expect(meanWithCi95([0.4])).toEqual({ n: 1, mean: 0.4, sd: null, ci95: null, halfWidth: null });
    expect(() => meanWithCi95([Number.NaN])).toThrow(/values\[0\]/);
  });

  it('n = 2 by hand: sd = |a − b|/√2, h = t₀.₉₇₅(1)·sd/√2 = 12.706·|a − b|/2', () => {
    const summary = meanWithCi95([0.5, 0.7]);
    expect(summary.mean).toBeCloseTo(0.6, 12);
    expect(summary.halfWidth).toBeCloseTo((12.7062 * 0.2) / 2, 3);
  });

  it('properties: the mean is inside [min, max] and the CI; symmetric; shift and scale equivariant; order-free', () => {
    fc.assert(
      fc.property(
        fc.array(finite, { minLength: 2, maxLength: 30 }),
        finite,
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        (values, shift, scale) => {
          const s = meanWithCi95(values);
          const [lo, hi] = s.ci95 as [number, number];
          const mean = s.mean as number;
          const tolerance = 1e-9 * (1 + Math.max(...values.map(Math.abs)));
          expect(mean).toBeGreaterThanOrEqual(Math.min(...values) - tolerance);
          expect(mean).toBeLessThanOrEqual(Math.max(...values) + tolerance);
          expect(lo).toBeLessThanOrEqual(mean + tolerance);
          expect(hi).toBeGreaterThanOrEqual(mean - tolerance);
          expect(hi - mean).toBeCloseTo(mean - lo, 6);
          expect(s.halfWidth as number).toBeCloseTo(
            (studentT975(values.length - 1) * (s.sd as number)) / Math.sqrt(values.length),
            9,
          );
          const moved = meanWithCi95(values.map((v) => v * scale + shift));
          expect(moved.mean as number).toBeCloseTo(mean * scale + shift, 4);
          expect(moved.halfWidth as number).toBeCloseTo((s.halfWidth as number) * scale, 4);
          const reversed = meanWithCi95([...values].reverse());
          expect(reversed.halfWidth as number).toBeCloseTo(s.halfWidth as number, 9);
        },
      ),
    );
  });

  it('identical values give the degenerate interval [m, m]', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 2, max: 10 }), (v, n) => {
        const s = meanWithCi95(Array.from({ length: n }, () => v));
        expect(s.ci95?.[0]).toBeCloseTo(v, 12);
        expect(s.ci95?.[1]).toBeCloseTo(v, 12);
      }),
    );
  });
});

describe('rollouts to target', () => {
  const evals = [
    { step: 0, rollouts: 0, greedyPassAt1: 0.5 },
    { step: 10, rollouts: 1280, greedyPassAt1: 0.7 },
    { step: 20, rollouts: 2560, greedyPassAt1: 0.9 },
  ];

  it('is the rollouts at the first evaluation at or above the target, 0 at the start, null when never', () => {
    expect(rolloutsToTarget(evals, 0.7)).toBe(1280);
    expect(rolloutsToTarget(evals, 0.71)).toBe(2560);
    expect(rolloutsToTarget(evals, 0.5)).toBe(0);
    expect(rolloutsToTarget(evals, 0.95)).toBeNull();
    expect(rolloutsToTarget([...evals].reverse(), 0.7)).toBe(1280);
  });

  it('property: reaching a lower target never takes more rollouts', () => {
    const curve = fc
      .array(fc.tuple(fc.integer({ min: 1, max: 64 }), fc.double({ min: 0, max: 1, noNaN: true })), {
        minLength: 1,
        maxLength: 20,
      })
      .map((points) => {
        let rollouts = 0;
        return points.map(([r, y], step) => ({ step, rollouts: (rollouts += step === 0 ? 0 : r), greedyPassAt1: y }));
      });
    fc.assert(
      fc.property(curve, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (c, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const atHigh = rolloutsToTarget(c, high);
        if (atHigh !== null) expect(rolloutsToTarget(c, low) as number).toBeLessThanOrEqual(atHigh);
      }),
    );
  });

  it('the default target is halfway from the mean SFT pass@1 to 1', () => {
    expect(defaultTarget([0.4, 0.6])).toBeCloseTo(0.75, 12);
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 10 }), (sft) => {
        const target = defaultTarget(sft);
        const mean = sft.reduce((s, v) => s + v, 0) / sft.length;
        expect(target).toBeGreaterThanOrEqual(mean - 1e-12);
        expect(target).toBeLessThanOrEqual(1 + 1e-12);
      }),
    );
    expect(() => defaultTarget([])).toThrow(/at least one seed/);
  });
});

const noRm: RewardModelDiagnostics = { heldOutAccuracy: null, heldOutAuc: null, creditOnFirstWrong: null, creditAtOrAfterFirstWrong: null };

function arm(variant: string, final: number, reachAt: number | null, rm = noRm): SeedArmResult {
  return {
    variant,
    label: variant.toUpperCase(),
    finalGreedyPassAt1: final,
    evals: [
      { step: 0, rollouts: 0, greedyPassAt1: 0.5 },
      { step: 5, rollouts: reachAt ?? 100, greedyPassAt1: reachAt === null ? 0.6 : 0.95 },
    ],
    stepPassRates: [],
    rewardModel: rm,
  };
}

describe('aggregateArms', () => {
  it('per arm: values per seed, mean ± CI, rollouts to target over the seeds that reached it, RM means', () => {
    const seeds: SeedResult[] = [
      {
        seed: 1,
        trainerSeed: 1,
        sftGreedyPassAt1: 0.5,
        backend: 'wasm',
        heldOutProblems: 8,
        arms: [arm('grpo', 0.8, 200), arm('oreal', 0.9, 300, { ...noRm, heldOutAccuracy: 0.7 })],
      },
      {
        seed: 2,
        trainerSeed: 2,
        sftGreedyPassAt1: 0.5,
        backend: 'wasm',
        heldOutProblems: 8,
        arms: [arm('grpo', 0.6, null), arm('oreal', 0.7, 500, { ...noRm, heldOutAccuracy: 0.9 })],
      },
    ];
    const [grpo, oreal] = aggregateArms(seeds, 0.9);
    expect(grpo?.variant).toBe('grpo');
    expect(grpo?.seeds).toEqual([1, 2]);
    expect(grpo?.values).toEqual([0.8, 0.6]);
    expect(grpo?.mean).toBeCloseTo(0.7, 12);
    expect(grpo?.ci95).not.toBeNull();
    expect(grpo?.rolloutsToTarget).toMatchObject({ values: [200, null], reached: 1, of: 2, mean: 200, ci95: null });
    expect(grpo?.rewardModel.heldOutAccuracy.n).toBe(0);
    expect(oreal?.rolloutsToTarget).toMatchObject({ reached: 2, of: 2, mean: 400 });
    expect(oreal?.rewardModel.heldOutAccuracy.mean).toBeCloseTo(0.8, 12);
  });

  it('property: the arm mean is the mean of its per-seed finals, and reached ≤ of = seeds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.option(fc.integer({ min: 0, max: 1e4 }))), {
          minLength: 1,
          maxLength: 12,
        }),
        (runs) => {
          const seeds = runs.map(([final, reach], i) => ({
            seed: i,
            trainerSeed: i,
            sftGreedyPassAt1: 0.5,
            backend: 'wasm',
        heldOutProblems: 8,
            arms: [arm('x', final, reach)],
          }));
          const [summary] = aggregateArms(seeds, 0.9);
          expect(summary?.mean as number).toBeCloseTo(runs.reduce((s, [f]) => s + f, 0) / runs.length, 9);
          expect(summary?.rolloutsToTarget.of).toBe(runs.length);
          expect(summary?.rolloutsToTarget.reached).toBe(runs.filter(([, r]) => r !== null).length);
        },
      ),
    );
  });
});

describe('pairedVersus', () => {
  const seedOf = (seed: number, arms: SeedArmResult[]): SeedResult => ({
    seed,
    trainerSeed: seed,
    sftGreedyPassAt1: 0.5,
    backend: 'wasm',
    heldOutProblems: 8,
    arms,
  });

  it('differences per seed against the baseline; rollouts only where both reached the target', () => {
    const seeds = [
      seedOf(1, [arm('grpo', 0.8, 200), arm('oreal', 0.9, 100)]),
      seedOf(2, [arm('grpo', 0.6, null), arm('oreal', 0.7, 500)]),
      seedOf(3, [arm('grpo', 0.5, 300), arm('oreal', 0.4, 400)]),
    ];
    const [oreal] = pairedVersus(seeds, 'grpo', 0.9);
    expect(oreal?.variant).toBe('oreal');
    expect(oreal?.versus).toBe('grpo');
    const diffs = oreal?.passAt1Difference.values ?? [];
    [0.1, 0.1, -0.1].forEach((d, i) => expect(diffs[i]).toBeCloseTo(d, 12));
    expect(oreal?.rolloutsToTargetDifference).toMatchObject({ values: [-100, 100], onlyArmReached: 1, onlyBaselineReached: 0, n: 2 });
    expect(pairedVersus(seeds, 'rloo', 0.9)).toEqual([]);
  });

  it('property: pairing removes a per-seed shift that the unpaired interval keeps', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -0.3, max: 0.3, noNaN: true }), { minLength: 3, maxLength: 10 }),
        fc.double({ min: 0.01, max: 0.1, noNaN: true }),
        (shifts, gap) => {
          // Every seed moves both arms by its own shift; the arm is always `gap` above the baseline.
          const seeds = shifts.map((shift, i) =>
            seedOf(i, [arm('grpo', 0.5 + shift, null), arm('oreal', 0.5 + shift + gap, null)]),
          );
          const [paired] = pairedVersus(seeds, 'grpo', 0.9);
          expect(paired?.passAt1Difference.mean as number).toBeCloseTo(gap, 9);
          expect(paired?.passAt1Difference.halfWidth as number).toBeLessThan(1e-9);
        },
      ),
    );
  });
});

describe('curveBand', () => {
  it('property: per x, min ≤ mean ≤ max over the curves that have that x; x sorted', () => {
    const curve = fc.array(
      fc.record({ x: fc.integer({ min: 0, max: 10 }), y: fc.double({ min: 0, max: 100, noNaN: true }) }),
      { maxLength: 15 },
    );
    fc.assert(
      fc.property(fc.array(curve, { minLength: 1, maxLength: 5 }), (curves) => {
        const band = curveBand(curves);
        const xs = band.map((b) => b.x);
        expect(xs).toEqual([...new Set(curves.flat().map((p) => p.x))].sort((a, b) => a - b));
        for (const point of band) {
          const ys = curves.flat().filter((p) => p.x === point.x).map((p) => p.y);
          expect(point.n).toBe(ys.length);
          expect(point.min).toBe(Math.min(...ys));
          expect(point.max).toBe(Math.max(...ys));
          expect(point.mean).toBeGreaterThanOrEqual(point.min - 1e-9);
          expect(point.mean).toBeLessThanOrEqual(point.max + 1e-9);
        }
      }),
    );
  });
});
