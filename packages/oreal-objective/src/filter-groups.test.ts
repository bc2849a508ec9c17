import type { Rollout, ScoredGroup } from '@oreal-ts/core';
import { SeededRng } from '@oreal-ts/core';
import { describe, expect, it } from 'vitest';
import { rlooAdvantages } from './advantages';
import { filterGroups } from './filter-groups';

function group(id: string, rewards: number[]): ScoredGroup {
  return {
    problem: { id, question: 'q', answer: 'a' },
    rollouts: rewards.map((reward, sampleIndex) => ({
      reward,
      rollout: {
        problemId: id,
        sampleIndex,
        prompt: 'q',
        text: `r${sampleIndex}`,
        tokenIds: [sampleIndex],
        logProbs: [-1],
        finishReason: 'stop',
      } satisfies Rollout,
    })),
  };
}

const groups = [
  group('mixed', [1, -1, -1, 1, -1, -1, -1, -1]),
  group('all-right', [1, 1, 1, 1, 1, 1, 1, 1]),
  group('all-wrong', [-1, -1, -1, -1, -1, -1, -1, -1]),
  group('one-right', [-1, -1, -1, -1, -1, -1, 1, -1]),
];
const advantages = groups.map((g) => rlooAdvantages(g.rollouts.map((r) => r.reward)));

describe('filterGroups', () => {
  it('one-correct-one-incorrect drops all-same groups and keeps one of each kind per mixed group', () => {
    const kept = filterGroups(groups, advantages, 'one-correct-one-incorrect', new SeededRng(1));
    expect(kept.map((k) => k.groupIndex)).toEqual([0, 0, 3, 3]);
    expect(kept.map((k) => k.reward > 0)).toEqual([true, false, true, false]);
    // advantages are the ones computed over ALL K (before filtering)
    for (const k of kept) expect(k.advantage).toBe(advantages[k.groupIndex]?.[k.rolloutIndex]);
    expect(kept[2]?.rolloutIndex).toBe(6);
    expect(kept[0]?.rollout).toBe(groups[0]?.rollouts[kept[0]?.rolloutIndex ?? -1]?.rollout);
  });

  it('is deterministic given the seed and random across seeds (every candidate gets picked)', () => {
    const a = filterGroups(groups, advantages, 'one-correct-one-incorrect', new SeededRng(7));
    const b = filterGroups(groups, advantages, 'one-correct-one-incorrect', new SeededRng(7));
    expect(a).toEqual(b);
    const pickedCorrect = new Set<number>();
    const pickedIncorrect = new Set<number>();
    for (let seed = 0; seed < 200; seed++) {
      const [c, w] = filterGroups(groups.slice(0, 1), advantages.slice(0, 1), 'one-correct-one-incorrect', new SeededRng(seed));
      pickedCorrect.add(c?.rolloutIndex ?? -1);
      pickedIncorrect.add(w?.rolloutIndex ?? -1);
    }
    expect([...pickedCorrect].sort()).toEqual([0, 3]);
    expect([...pickedIncorrect].sort()).toEqual([1, 2, 4, 5, 6, 7]);
  });

  it('keep-all keeps everything; all-same groups then carry A = 0', () => {
    const kept = filterGroups(groups, advantages, 'keep-all', new SeededRng(1));
    expect(kept).toHaveLength(32);
    expect(kept.filter((k) => k.groupIndex === 1 || k.groupIndex === 2).every((k) => k.advantage === 0)).toBe(true);
  });

  it('positives-only keeps every correct rollout', () => {
    const kept = filterGroups(groups, advantages, 'positives-only', new SeededRng(1));
    expect(kept).toHaveLength(2 + 8 + 1);
    expect(kept.every((k) => k.reward > 0)).toBe(true);
  });

  it('rejects advantages that do not match the groups', () => {
    expect(() => filterGroups(groups, advantages.slice(1), 'keep-all', new SeededRng(1))).toThrow(/one row per group/);
  });
});
