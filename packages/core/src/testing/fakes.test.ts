import { describe, expect, it } from 'vitest';
import { createFakeObjective, createFakeSampler, createFakeVerifier, createTabularPolicy, testRng } from './index';

describe('fakes', () => {
  it('tabular policy gradient matches finite differences of the loss', async () => {
    const policy = createTabularPolicy({ vocabSize: 4, learningRate: 1, initialLogits: [0.1, -0.2, 0.3, 0] });
    const batch = { promptIds: [[1]], responseIds: [[2, 0, 2]] };
    const weights = [0.5, -1, 2];
    const lossOf = (values: number[][]) => (values[0] ?? []).reduce((s, v, t) => s + (weights[t] ?? 0) * v, 0);
    const before = policy.logits();
    await policy.accumulateGradients(batch, (v) => ({ loss: lossOf(v), gradient: [weights] }));
    await policy.applyGradients(); // θ ← θ − ∇
    const analytic = before.map((b, k) => b - (policy.logits()[k] ?? 0));
    for (let k = 0; k < 4; k++) {
      const eps = 1e-5;
      const plus = createTabularPolicy({ vocabSize: 4, initialLogits: before.map((b, j) => (j === k ? b + eps : b)) });
      const minus = createTabularPolicy({ vocabSize: 4, initialLogits: before.map((b, j) => (j === k ? b - eps : b)) });
      const fd = (lossOf(await plus.logProbs(batch)) - lossOf(await minus.logProbs(batch))) / (2 * eps);
      expect(analytic[k]).toBeCloseTo(fd, 6);
    }
  });

  it('verifier, sampler and objective record their calls and behave', async () => {
    const verifier = createFakeVerifier();
    const problem = { id: 'p', question: '1+1', answer: '2' };
    expect((await verifier.verify(problem, 'so \\boxed{2}')).correct).toBe(true);
    expect((await verifier.verify(problem, { text: '\\boxed{2}', finishReason: 'length' })).reason).toBe('truncated');
    expect(verifier.calls).toHaveLength(2);
    const sampler = createFakeSampler((_, i) => `\\boxed{${i}}`);
    const groups = await sampler.sample([problem], { n: 3, temperature: 1, topP: 1, maxNewTokens: 50 });
    expect(groups[0]?.rollouts.map((r) => r.text)).toEqual(['\\boxed{0}', '\\boxed{1}', '\\boxed{2}']);
    const objective = createFakeObjective();
    const selected = objective.select(
      [{ problem, rollouts: groups[0]!.rollouts.map((rollout, i) => ({ rollout, reward: i === 2 ? 1 : -1 })) }],
      testRng(),
    );
    const expected = [-2 / 3, -2 / 3, 4 / 3];
    selected.forEach((s, i) => expect(s.advantage).toBeCloseTo(expected[i] ?? NaN, 12));
  });
});

describe('tabular policy checkpoints', () => {
  it('save then load restores the logits from disk, and a missing folder is a CheckpointError', async () => {
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/oreal-tabular-`);
    const a = createTabularPolicy({ vocabSize: 3, initialLogits: [1, 2, 3] });
    await a.save(`${dir}/ckpt`);
    const b = createTabularPolicy({ vocabSize: 3 });
    await b.load(`${dir}/ckpt`);
    expect(b.logits()).toEqual([1, 2, 3]);
    await expect(b.load(`${dir}/missing`)).rejects.toMatchObject({ code: 'CHECKPOINT' });
  });
});
