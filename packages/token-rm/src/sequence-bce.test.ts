import { describe, expect, it } from 'vitest';
import { sequenceBce, sigmoid, softplus } from './sequence-bce';

describe('sequenceBce', () => {
  it('hand values: zero scores give log 2 per sequence and gradient (1/2 − y)/(B·T)', () => {
    const result = sequenceBce([[0, 0], [0, 0, 0, 0]], [true, false]);
    expect(result.loss).toBeCloseTo(Math.log(2), 12);
    expect(result.gradient[0]).toEqual([-0.5 / 4, -0.5 / 4]);
    expect(result.gradient[1]).toEqual([0.5 / 8, 0.5 / 8, 0.5 / 8, 0.5 / 8]);
    expect(result.parts?.accuracy).toBe(0); // z = 0 has no sign
  });

  it('the sequence logit is the MEAN token score', () => {
    // z = (3 − 1) / 2 = 1 for a positive: loss = softplus(1) − 1 = log(1 + e^{−1})
    const result = sequenceBce([[3, -1]], [true]);
    expect(result.loss).toBeCloseTo(Math.log(1 + Math.exp(-1)), 12);
    expect(result.parts?.accuracy).toBe(1);
    expect(result.parts?.meanLogit).toBe(1);
  });

  it('finite-difference check of ∂L/∂s_t', () => {
    const scores = [[0.3, -1.2, 2.0], [-0.4], [1.5, 0.2, -0.7, 0.1, 3.0], [-2.2, -0.1]];
    const positive = [true, false, false, true];
    const { gradient } = sequenceBce(scores, positive);
    const h = 1e-6;
    scores.forEach((row, i) =>
      row.forEach((_, t) => {
        const shifted = (d: number) => scores.map((r, j) => (j === i ? r.map((s, u) => (u === t ? s + d : s)) : r));
        const numeric = (sequenceBce(shifted(h), positive).loss - sequenceBce(shifted(-h), positive).loss) / (2 * h);
        expect(Math.abs(numeric - (gradient[i]?.[t] as number))).toBeLessThan(1e-8);
      }),
    );
  });

  it('skips empty rows (not counted in the mean) and checks labels', () => {
    const result = sequenceBce([[], [0]], [true, true]);
    expect(result.parts?.sequences).toBe(1);
    expect(result.loss).toBeCloseTo(Math.log(2), 12);
    expect(result.gradient[0]).toEqual([]);
    expect(() => sequenceBce([[0]], [])).toThrow(/one label per row/);
  });

  it('softplus and sigmoid are stable at large |z|', () => {
    expect(softplus(1000)).toBe(1000);
    expect(softplus(-1000)).toBe(0);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
  });
});
