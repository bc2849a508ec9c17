import { describe, expect, it } from 'vitest';
import { SeededRng } from './rng';

describe('SeededRng', () => {
  it('gives the same sequence for the same seed and different ones for different seeds', () => {
    const a = new SeededRng(42);
    const b = new SeededRng(42);
    const c = new SeededRng(43);
    const seqA = Array.from({ length: 20 }, () => a.next());
    const seqB = Array.from({ length: 20 }, () => b.next());
    const seqC = Array.from({ length: 20 }, () => c.next());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
    for (const x of seqA) expect(x >= 0 && x < 1).toBe(true);
  });

  it('resumes exactly from a serialised state', () => {
    const rng = new SeededRng('resume');
    for (let i = 0; i < 17; i++) rng.next();
    const state = JSON.parse(JSON.stringify(rng.getState()));
    const expected = Array.from({ length: 10 }, () => rng.nextUint32());
    const resumed = SeededRng.fromState(state);
    expect(Array.from({ length: 10 }, () => resumed.nextUint32())).toEqual(expected);
  });

  it('is roughly uniform and int() stays in range', () => {
    const rng = new SeededRng(7);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 20000; i++) counts[rng.int(10)]++;
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200);
  });

  it('shuffle is a permutation and fork does not advance the parent', () => {
    const rng = new SeededRng(1);
    const items = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(rng.shuffle(items).sort()).toEqual(items);
    const before = rng.getState();
    const child = rng.fork('child');
    expect(rng.getState()).toEqual(before);
    expect(child.next()).not.toEqual(SeededRng.fromState(before).next());
  });

  it('rejects bad arguments', () => {
    expect(() => new SeededRng(Number.NaN)).toThrow(/finite/);
    expect(() => new SeededRng(1).int(0)).toThrow(/positive integer/);
    expect(() => new SeededRng(1).choice([])).toThrow(/empty/);
  });
});
