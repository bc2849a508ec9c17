import { describe, expect, it } from 'vitest';
import { evalsWithRollouts, numberAtPath, rewardModelDiagnostics, stepPassRates } from './ablation-arm-metrics';

const step = (n: number, extra: Record<string, unknown> = {}) => ({
  type: 'step',
  step: n,
  rollouts: 16,
  passRate: n / 10,
  ...extra,
});
const evalLine = (n: number, greedy: number) => ({ type: 'eval', step: n, greedyPassAt1: greedy });

describe('ablation arm metrics (from metrics.jsonl lines)', () => {
  it('evaluations carry the cumulative rollouts of the steps up to them; the SFT start is step 0', () => {
    const records = [step(1), step(2), evalLine(2, 0.5), step(3), step(4), evalLine(4, 0.75)];
    expect(evalsWithRollouts(records, { greedyPassAt1: 0.25 })).toEqual([
      { step: 0, rollouts: 0, greedyPassAt1: 0.25 },
      { step: 2, rollouts: 32, greedyPassAt1: 0.5 },
      { step: 4, rollouts: 64, greedyPassAt1: 0.75 },
    ]);
    // a run that evaluated step 0 itself keeps its own value; a repeated step line counts once
    expect(evalsWithRollouts([evalLine(0, 0.3), step(1), step(1), evalLine(1, 0.4)], { greedyPassAt1: 0.9 })).toEqual([
      { step: 0, rollouts: 0, greedyPassAt1: 0.3 },
      { step: 1, rollouts: 16, greedyPassAt1: 0.4 },
    ]);
    expect(stepPassRates([step(2), step(1), evalLine(1, 0.5)])).toEqual([
      { step: 1, passRate: 0.1 },
      { step: 2, passRate: 0.2 },
    ]);
  });

  it('token-RM diagnostics: each at the last step line that has it; null when absent or null', () => {
    const records = [
      step(1, { rewardModel: { heldOut: { accuracy: 0.6, auc: 0.7 }, credit: { onFirstWrong: 0.2 } } }),
      step(2, { rewardModel: { heldOut: { accuracy: 0.8, auc: null }, credit: null } }),
      step(3, { rewardModel: null }),
      evalLine(3, 0.5),
    ];
    expect(rewardModelDiagnostics(records)).toEqual({
      heldOutAccuracy: 0.8,
      heldOutAuc: 0.7,
      creditOnFirstWrong: 0.2,
      creditAtOrAfterFirstWrong: null,
    });
    expect(rewardModelDiagnostics([step(1)])).toEqual({
      heldOutAccuracy: null,
      heldOutAuc: null,
      creditOnFirstWrong: null,
      creditAtOrAfterFirstWrong: null,
    });
    expect(numberAtPath({ a: { b: Number.NaN } }, 'a.b')).toBeUndefined();
  });
});
