import { describe, expect, it } from 'vitest';
import { SeededRng } from '@oreal-ts/core';
import {
  argmax,
  logProbAt,
  logSoftmax,
  sampleCategorical,
  sampleToken,
  topKFilter,
  topPFilter,
} from './sampling';

const probs = (logits: ArrayLike<number>) => Array.from(logSoftmax(logits), Math.exp);

describe('logSoftmax', () => {
  it('is log of exp(z)/Σexp(z), stable for large logits', () => {
    const z = [1000, 1001, 999];
    const p = probs(z);
    const e = [Math.exp(-1), 1, Math.exp(-2)];
    const s = e.reduce((a, b) => a + b, 0);
    p.forEach((v, i) => expect(v).toBeCloseTo((e[i] as number) / s, 12));
    expect(logProbAt(z, 2)).toBeCloseTo(Math.log(Math.exp(-2) / s), 12);
  });
  it('keeps −∞ entries at probability 0', () => {
    expect(probs([0, -Infinity, 0])).toEqual([0.5, 0, 0.5]);
  });
});

describe('argmax', () => {
  it('breaks ties towards the lowest index', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
  });
});

describe('topKFilter', () => {
  it('keeps exactly the k largest logits', () => {
    const out = topKFilter([0.1, 5, -2, 3, 3], 2);
    expect(Array.from(out)).toEqual([-Infinity, 5, -Infinity, 3, -Infinity]);
  });
  it('is a no-op for k = 0 or k ≥ V', () => {
    expect(Array.from(topKFilter([1, 2], 0))).toEqual([1, 2]);
    expect(Array.from(topKFilter([1, 2], 5))).toEqual([1, 2]);
  });
});

describe('topPFilter', () => {
  const z = [0.5, 0.3, 0.15, 0.05].map(Math.log);
  const kept = (p: number) => Array.from(topPFilter(z, p)).map((v) => v !== -Infinity);
  it('keeps the smallest prefix whose mass reaches p', () => {
    expect(kept(0.7)).toEqual([true, true, false, false]); // 0.5 + 0.3 ≥ 0.7
    expect(kept(0.81)).toEqual([true, true, true, false]); // 0.95 ≥ 0.81
    expect(kept(0.4)).toEqual([true, false, false, false]); // the crossing token is kept
    expect(kept(1)).toEqual([true, true, true, true]);
  });
  it('orders by probability, not by index', () => {
    const shuffled = [0.05, 0.5, 0.15, 0.3].map(Math.log);
    expect(Array.from(topPFilter(shuffled, 0.7)).map((v) => v !== -Infinity)).toEqual([
      false,
      true,
      false,
      true,
    ]);
  });
});

describe('sampleCategorical', () => {
  it('draws with the softmax frequencies', () => {
    const rng = new SeededRng(7);
    const target = [0.6, 0.3, 0.1];
    const counts = [0, 0, 0];
    const draws = 20_000;
    for (let i = 0; i < draws; i++) counts[sampleCategorical(target.map(Math.log), rng)]! += 1;
    counts.forEach((c, i) => expect(Math.abs(c / draws - (target[i] as number))).toBeLessThan(0.015));
  });
});

describe('sampleToken', () => {
  const z = [2, 1, 0.5, -1];
  it('greedy (temperature 0) takes the argmax without drawing a random number', () => {
    const rng = new SeededRng(1);
    const before = rng.getState();
    expect(sampleToken(z, { temperature: 0, topP: 0.5, topK: 2 }, rng).tokenId).toBe(0);
    expect(rng.getState()).toEqual(before);
  });
  it('tempers the distribution: frequencies follow softmax(z / T)', () => {
    const rng = new SeededRng(3);
    const T = 2;
    const expected = probs(z.map((v) => v / T));
    const counts = [0, 0, 0, 0];
    const draws = 20_000;
    for (let i = 0; i < draws; i++) counts[sampleToken(z, { temperature: T, topP: 1 }, rng).tokenId]! += 1;
    counts.forEach((c, i) => expect(Math.abs(c / draws - (expected[i] as number))).toBeLessThan(0.015));
  });
  it('never draws outside top-k or the nucleus', () => {
    const rng = new SeededRng(5);
    for (let i = 0; i < 2000; i++) {
      expect(sampleToken(z, { temperature: 1.5, topP: 1, topK: 2 }, rng).tokenId).toBeLessThan(2);
      // softmax(z): ≈[0.61, 0.22, 0.14, 0.03] → p = 0.7 keeps tokens 0 and 1
      expect(sampleToken(z, { temperature: 1, topP: 0.7 }, rng).tokenId).toBeLessThan(2);
    }
  });
  it('reports the raw (temperature 1, unfiltered) log-prob of the drawn token', () => {
    const rng = new SeededRng(9);
    for (let i = 0; i < 50; i++) {
      const { tokenId, logProb } = sampleToken(z, { temperature: 0.3, topP: 0.9, topK: 3 }, rng);
      expect(logProb).toBeCloseTo(Math.log(probs(z)[tokenId] as number), 10);
    }
  });
});

describe('topTokens', () => {
  it('returns the most likely tokens in descending order with raw log-probs', async () => {
    const { topTokens } = await import('./generate');
    const z = [0.1, 3, -1, 2, 2];
    const top = topTokens(z, 3);
    expect(top.map((t) => t.tokenId)).toEqual([1, 3, 4]);
    top.forEach((t) => expect(t.logProb).toBeCloseTo(logProbAt(z, t.tokenId), 12));
  });
});

describe('topKFilter agrees with a full sort', () => {
  it('for small and large k, with ties, on random rows', () => {
    const rng = new SeededRng(21);
    for (let trial = 0; trial < 20; trial++) {
      const v = 50 + rng.int(600);
      const z = Array.from({ length: v }, () => Math.round(rng.normal() * 4) / 2); // many ties
      for (const k of [1, 7, 50, 300]) {
        const order = z.map((value, id) => ({ value, id })).sort((a, b) => b.value - a.value || a.id - b.id);
        const expected = new Set(order.slice(0, Math.min(k, v)).map((e) => e.id));
        const kept = Array.from(topKFilter(z, k)).flatMap((value, id) => (value === -Infinity ? [] : [id]));
        expect(new Set(kept)).toEqual(expected);
      }
    }
  });
});
