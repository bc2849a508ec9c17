import type { TokenBatch } from '@oreal-ts/core';
import { SeededRng } from '@oreal-ts/core';
import { describe, expect, it } from 'vitest';
import { createTokenRewardModel } from '../src/index';
import { createTabularScorer } from './tabular-scorer';

const VOCAB = 20;
const MARKER = 19; // a response is wrong exactly when it contains this token

/** B rollouts, half wrong; a wrong one has the marker at a random position. Returns the marker positions (−1: none). */
function makeBatch(rng: SeededRng, size: number): { batch: TokenBatch; positive: boolean[]; markerAt: number[] } {
  const responseIds: number[][] = [];
  const positive: boolean[] = [];
  const markerAt: number[] = [];
  for (let i = 0; i < size; i++) {
    const length = 6 + rng.int(7);
    const row = Array.from({ length }, () => 1 + rng.int(VOCAB - 2));
    const wrong = i % 2 === 1;
    const at = wrong ? rng.int(length) : -1;
    if (wrong) row[at] = MARKER;
    responseIds.push(row);
    positive.push(!wrong);
    markerAt.push(at);
  }
  return { batch: { promptIds: responseIds.map(() => [0]), responseIds }, positive, markerAt };
}

describe('token reward model credit assignment (tabular scorer trained by the same loss)', () => {
  it('learns from outcomes only to put the ω⁻ mass of negatives at or after the marker', async () => {
    const rng = new SeededRng(5);
    const scorer = createTabularScorer(VOCAB, 20);
    const rewardModel = createTokenRewardModel({ scorer });
    const reports = [];
    for (let step = 0; step < 150; step++) {
      const { batch, positive } = makeBatch(rng, 16);
      reports.push(await rewardModel.train(batch, positive));
    }
    const first = reports[0];
    const last = reports[reports.length - 1];
    expect(first?.loss).toBeCloseTo(Math.log(2), 6); // zero-initialised scorer
    expect(last?.loss).toBeLessThan(0.35);
    expect(last?.accuracy).toBeGreaterThanOrEqual(0.9);

    const { batch, positive, markerAt } = makeBatch(rng, 64);
    const weights = await rewardModel.tokenWeights(batch, positive);
    let massAtOrAfter = 0;
    let massTotal = 0;
    let positiveTokens = 0;
    let positiveTokensWeighted = 0;
    weights.forEach((row, i) => {
      row.forEach((w, t) => {
        expect(w).toBeGreaterThanOrEqual(0);
        expect(w).toBeLessThanOrEqual(1);
        if (positive[i]) {
          positiveTokens++;
          if (w > 0) positiveTokensWeighted++;
        } else {
          massTotal += w;
          if (t >= (markerAt[i] as number)) massAtOrAfter += w;
        }
      });
    });
    expect(massTotal).toBeGreaterThan(0);
    expect(massAtOrAfter / massTotal).toBeGreaterThan(0.8);
    expect(positiveTokensWeighted / positiveTokens).toBeGreaterThan(0.5);
    console.log(
      `tabular token RM after 150 steps: loss ${last?.loss.toFixed(4)}, accuracy ${last?.accuracy.toFixed(3)}, ` +
        `ω⁻ mass at/after marker ${(massAtOrAfter / massTotal).toFixed(3)}, positives with ω⁺ > 0 ${(positiveTokensWeighted / positiveTokens).toFixed(3)}`,
    );
  });
});
