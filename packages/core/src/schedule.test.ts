import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { scheduledLearningRate } from './schedule';

describe('scheduledLearningRate', () => {
  const options = { learningRate: 1, warmupSteps: 4, totalSteps: 14, minLearningRateRatio: 0.1 };

  it('warms up linearly, then decays by a cosine to the floor', () => {
    expect([0, 1, 2, 3].map((s) => scheduledLearningRate(options, s))).toEqual([0.25, 0.5, 0.75, 1]);
    expect(scheduledLearningRate(options, 9)).toBeCloseTo(0.1 + 0.9 * 0.5, 12);
    expect(scheduledLearningRate(options, 14)).toBeCloseTo(0.1, 12);
    expect(scheduledLearningRate({ ...options, totalSteps: 0 }, 50)).toBe(1);
  });

  it('stays within [floor, peak] after warm-up and never increases', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 200 }), (step) => {
        const here = scheduledLearningRate(options, step);
        expect(here).toBeGreaterThanOrEqual(0.1 - 1e-12);
        expect(here).toBeLessThanOrEqual(1 + 1e-12);
        expect(scheduledLearningRate(options, step + 1)).toBeLessThanOrEqual(here + 1e-12);
      }),
    );
  });
});
