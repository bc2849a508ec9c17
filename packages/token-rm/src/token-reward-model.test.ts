import { ConfigError, SpecificationVersionError } from '@oreal-ts/core';
import { describe, expect, it } from 'vitest';
import { createTabularScorer } from '../test/tabular-scorer';
import { createTokenRewardModel } from './token-reward-model';

const batch = { promptIds: [[0], [0]], responseIds: [[1, 2], [3]] };

describe('createTokenRewardModel', () => {
  it('is a v1 component whose scores and weights come from the scorer', async () => {
    const scorer = createTabularScorer(4, 1);
    scorer.theta.set([0, 2, -2, -1]);
    const rewardModel = createTokenRewardModel({ scorer });
    expect(rewardModel.specificationVersion).toBe('v1');
    expect(rewardModel.id).toBe('oreal-ts/token-rm');
    expect(await rewardModel.scores(batch)).toEqual([[2, -2], [-1]]);
    const weights = await rewardModel.tokenWeights(batch, [true, false]);
    expect(weights[0]?.[0]).toBeCloseTo(2 / (1 + Math.exp(-2)) - 1, 12);
    expect(weights[0]?.[1]).toBe(0); // prefix mean 0 → q = 0.5
    expect(weights[1]?.[0]).toBeCloseTo(1 - 2 / (1 + Math.exp(1)), 12);
  });

  it('train: one scorer step on the BCE; reports loss/accuracy before the step and the grad norm', async () => {
    const scorer = createTabularScorer(4, 1);
    const rewardModel = createTokenRewardModel({ scorer });
    const report = await rewardModel.train(batch, [true, false]);
    expect(report.loss).toBeCloseTo(Math.log(2), 12);
    expect(report.accuracy).toBe(0);
    // ∂L/∂θ: token 1, 2 get −0.5/(2·2) each; token 3 gets +0.5/2
    expect(report.gradNorm).toBeCloseTo(Math.sqrt(2 * 0.125 ** 2 + 0.25 ** 2), 12);
    expect(Array.from(scorer.theta)).toEqual([0, 0.125, 0.125, -0.25]);
    expect((await rewardModel.train(batch, [true, false])).accuracy).toBe(1);
  });

  it('save, load and dispose delegate to the scorer', async () => {
    const scorer = createTabularScorer(4, 1);
    const rewardModel = createTokenRewardModel({ scorer });
    scorer.theta[1] = 3;
    await rewardModel.save('ckpt/token-rm');
    scorer.theta[1] = 0;
    await rewardModel.load('ckpt/token-rm');
    expect(scorer.theta[1]).toBe(3);
    expect(scorer.savedDirs).toEqual(['ckpt/token-rm']);
    rewardModel.dispose();
    expect(scorer.disposed()).toBe(true);
  });

  it('validates options, labels and the scorer contract version', async () => {
    const scorer = createTabularScorer(4, 1);
    expect(() => createTokenRewardModel({ scorer, positiveThreshold: 1 })).toThrow(ConfigError);
    expect(() => createTokenRewardModel({ scorer, topKRescale: { positiveRatio: 2 } })).toThrow(/tokenRewardModel\.topKRescale\.positiveRatio/);
    expect(() => createTokenRewardModel({ scorer, topK: 3 } as never)).toThrow(/topK/);
    expect(() => createTokenRewardModel({ scorer: { ...scorer, specificationVersion: 'v0' as never } })).toThrow(SpecificationVersionError);
    await expect(createTokenRewardModel({ scorer }).train(batch, [true])).rejects.toThrow(/one label per row/);
    const withTopK = createTokenRewardModel({ scorer, topKRescale: { mode: 'sum-preserving' } });
    scorer.theta.set([0, 2, 1, -1]);
    expect((await withTopK.tokenWeights(batch, [true, false]))[0]).toEqual([2, 0]);
    expect(() => createTokenRewardModel({ scorer, negativeThreshold: 1 })).toThrow(/tokenRewardModel\.negativeThreshold/);
    expect(() => createTokenRewardModel({ scorer, topKRescale: { mode: 'ceil' } as never })).toThrow(/tokenRewardModel\.topKRescale\.mode/);
  });
});
