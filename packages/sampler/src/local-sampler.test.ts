import { describe, expect, it } from 'vitest';
import { createFakeTokenizer, createTabularPolicy } from '@oreal-ts/core/testing';
import type { Problem, SampleOptions } from '@oreal-ts/core';
import { createLocalSampler } from './local-sampler';
import { questionOnlyPrompt } from './prompt-template';
import { createScriptedPolicy, ids } from '../test/scripted-policy';

const problems: Problem[] = [
  { id: 'p1', question: 'one', answer: '1' },
  { id: 'p2', question: 'two', answer: '2' },
  { id: 'p3', question: 'three', answer: '3' },
];
const base: SampleOptions = { n: 4, temperature: 1, topP: 1, maxNewTokens: 12, seed: 42 };

/** Tabular policy over the fake tokenizer's 128 ids favouring a few letters and EOS. */
function letters() {
  const logits = new Array(128).fill(-8);
  logits[0] = 0; // EOS
  for (const c of 'abcde') logits[c.charCodeAt(0)] = 2;
  return createTabularPolicy({ vocabSize: 128, initialLogits: logits });
}

describe('createLocalSampler', () => {
  it('returns n rollouts per problem, in problem order, with sample indices 0..n-1', async () => {
    const sampler = createLocalSampler({
      policy: letters(),
      tokenizer: createFakeTokenizer(),
      prompt: questionOnlyPrompt,
    });
    const groups = await sampler.sample(problems, base);
    expect(groups.map((g) => g.problem.id)).toEqual(['p1', 'p2', 'p3']);
    for (const group of groups) {
      expect(group.rollouts.map((r) => r.sampleIndex)).toEqual([0, 1, 2, 3]);
      for (const r of group.rollouts) {
        expect(r.problemId).toBe(group.problem.id);
        expect(r.promptTokenIds).toEqual(ids(group.problem.question));
        expect(r.logProbs).toHaveLength(r.tokenIds.length);
      }
    }
  });

  it('is deterministic for a seed, independent of batch size, and varies with the seed', async () => {
    const make = (batchSize: number) =>
      createLocalSampler({ policy: letters(), tokenizer: createFakeTokenizer(), batchSize });
    const a = await make(16).sample(problems, base);
    const b = await make(16).sample(problems, base);
    const c = await make(1).sample(problems, base);
    const d = await make(16).sample(problems, { ...base, seed: 43 });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(d).not.toEqual(a);
    const texts = a.flatMap((g) => g.rollouts.map((r) => r.text));
    expect(new Set(texts).size).toBeGreaterThan(1); // the rows draw from different streams
  });

  it('greedy decoding takes the argmax at every step and reports its raw log-prob', async () => {
    const policy = letters();
    const logits = policy.logits();
    logits['c'.charCodeAt(0)] = 3; // 'c' is now the argmax
    const greedyPolicy = createTabularPolicy({ vocabSize: 128, initialLogits: logits });
    const sampler = createLocalSampler({ policy: greedyPolicy, tokenizer: createFakeTokenizer() });
    const [group] = await sampler.sample([problems[0]!], {
      ...base,
      temperature: 0,
      seed: undefined,
      maxNewTokens: 5,
    });
    const expectedLogProb = Math.log(greedyPolicy.probabilities()['c'.charCodeAt(0)]!);
    for (const r of group!.rollouts) {
      expect(r.text).toBe('ccccc');
      expect(r.finishReason).toBe('length');
      r.logProbs.forEach((lp) => expect(lp).toBeCloseTo(expectedLogProb, 6));
    }
  });

  it('reports log π of the raw distribution even when sampling at another temperature with top-k/top-p', async () => {
    const policy = letters();
    const p = policy.probabilities();
    const sampler = createLocalSampler({ policy, tokenizer: createFakeTokenizer() });
    const groups = await sampler.sample(problems, { ...base, temperature: 0.7, topK: 3, topP: 0.9 });
    for (const r of groups.flatMap((g) => g.rollouts)) {
      r.tokenIds.forEach((id, t) => expect(r.logProbs[t]).toBeCloseTo(Math.log(p[id]!), 5));
    }
  });

  it('keeps the stop token as the last response token and drops it from the text', async () => {
    const policy = createScriptedPolicy(() => [...ids('hi'), 0]);
    const sampler = createLocalSampler({
      policy,
      tokenizer: createFakeTokenizer(),
      prompt: questionOnlyPrompt,
    });
    const [group] = await sampler.sample([problems[0]!], { ...base, n: 2, temperature: 0 });
    for (const r of group!.rollouts) {
      expect(r.tokenIds).toEqual([...ids('hi'), 0]);
      expect(r.text).toBe('hi');
      expect(r.finishReason).toBe('stop');
    }
  });

  it('stops on extra stop token ids, kept as the last token', async () => {
    const policy = createScriptedPolicy(() => ids('ab;cd'));
    const sampler = createLocalSampler({ policy, tokenizer: createFakeTokenizer() });
    const [group] = await sampler.sample([problems[0]!], {
      ...base,
      n: 1,
      temperature: 0,
      stopTokenIds: [';'.charCodeAt(0)],
    });
    expect(group!.rollouts[0]).toMatchObject({ text: 'ab;', tokenIds: ids('ab;'), finishReason: 'stop' });
  });

  it('stops on a stop string and keeps it at the end of the text', async () => {
    const policy = createScriptedPolicy(() => ids('x = 5 END more text'));
    const sampler = createLocalSampler({ policy, tokenizer: createFakeTokenizer() });
    const [group] = await sampler.sample([problems[0]!], {
      ...base,
      n: 1,
      temperature: 0,
      maxNewTokens: 30,
      stop: ['END', 'never'],
    });
    expect(group!.rollouts[0]).toMatchObject({
      text: 'x = 5 END',
      tokenIds: ids('x = 5 END'),
      finishReason: 'stop',
    });
  });

  it('ends with finish reason length at maxNewTokens', async () => {
    const policy = createScriptedPolicy(() => ids('hello world'));
    const sampler = createLocalSampler({ policy, tokenizer: createFakeTokenizer() });
    const [group] = await sampler.sample([problems[0]!], { ...base, n: 1, temperature: 0, maxNewTokens: 4 });
    expect(group!.rollouts[0]).toMatchObject({ text: 'hell', finishReason: 'length' });
    expect(group!.rollouts[0]!.tokenIds).toHaveLength(4);
  });

  it('feeds finished rows the pad/EOS token, stops when all rows are done, and disposes each session', async () => {
    // Row length depends on the prompt: 'one' → 1 letter + EOS, 'three' → 3 letters + EOS.
    const policy = createScriptedPolicy((prompt) => [...ids('z'.repeat(prompt.length - 2)), 0]);
    const sampler = createLocalSampler({
      policy,
      tokenizer: createFakeTokenizer(),
      prompt: questionOnlyPrompt,
      batchSize: 4,
    });
    const groups = await sampler.sample([problems[0]!, problems[2]!], {
      ...base,
      n: 2,
      temperature: 0,
      maxNewTokens: 50,
    });
    expect(groups[0]!.rollouts[0]!.tokenIds).toEqual([...ids('z'), 0]);
    expect(groups[1]!.rollouts[0]!.tokenIds).toEqual([...ids('zzz'), 0]);
    expect(policy.sessions).toHaveLength(1);
    const [session] = policy.sessions;
    expect(session!.disposed).toBe(1);
    // The longest row has 4 tokens: prefill gives the 1st, 3 steps give the rest; no step after all are done.
    expect(session!.steps).toHaveLength(3);
    // After 'z', EOS: rows 0-1 are done from step 2 on and are fed EOS (0).
    expect(session!.steps[2]!.slice(0, 2)).toEqual([0, 0]);
  });

  it('splits rows into batches of batchSize', async () => {
    const policy = createScriptedPolicy(() => [0]);
    const sampler = createLocalSampler({ policy, tokenizer: createFakeTokenizer(), batchSize: 5 });
    await sampler.sample(problems, { ...base, n: 4 });
    expect(policy.sessions.map((s) => s.batchSize)).toEqual([5, 5, 2]);
    expect(policy.sessions.every((s) => s.disposed === 1)).toBe(true);
  });

  it('disposes the session when decoding throws', async () => {
    const policy = createScriptedPolicy(() => ids('abc'));
    const broken = {
      ...policy,
      startDecoding: async (p: readonly (readonly number[])[]) => ({
        ...(await policy.startDecoding(p)),
        step: async () => {
          throw new Error('boom');
        },
      }),
    };
    const sampler = createLocalSampler({ policy: broken, tokenizer: createFakeTokenizer() });
    await expect(sampler.sample([problems[0]!], { ...base, n: 1 })).rejects.toThrow('boom');
    // the spread session copies dispose, which records on the original session object
    expect(policy.sessions[0]!.disposed).toBe(1);
  });

  it('rejects prompts that cannot fit maxNewTokens in the context, naming the problem and the fix', async () => {
    const policy = createScriptedPolicy(() => [0], 128, 16);
    const sampler = createLocalSampler({
      policy,
      tokenizer: createFakeTokenizer(),
      prompt: questionOnlyPrompt,
    });
    await expect(sampler.sample([problems[2]!], { ...base, maxNewTokens: 12 })).rejects.toThrow(
      /problem 'p3'.*5 tokens.*maxNewTokens 12.*16.*lower maxNewTokens/,
    );
    expect(policy.sessions).toHaveLength(0);
  });

  it('validates sample options', async () => {
    const sampler = createLocalSampler({ policy: letters(), tokenizer: createFakeTokenizer() });
    await expect(sampler.sample(problems, { ...base, topP: 0 })).rejects.toThrow(/sampleOptions\.topP/);
  });
});
