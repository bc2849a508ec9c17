import { describe, expect, it } from 'vitest';
import { SeededRng } from '@oreal-ts/core';
import { createFakeTokenizer } from '@oreal-ts/core/testing';
import { generateBatch, type GenerationSettings } from './generate';
import { createScriptedPolicy, ids } from '../test/scripted-policy';

const greedy: GenerationSettings = { temperature: 0, topP: 1, maxNewTokens: 20, stopTokenIds: [0], stop: [] };

describe('generateBatch', () => {
  it('applies each row’s own settings within one shared batch', async () => {
    const policy = createScriptedPolicy(() => ids('abcdEND and more'));
    const rng = new SeededRng(1);
    const [short, stopped, plain] = await generateBatch(
      policy,
      createFakeTokenizer(),
      [
        { promptIds: [1], rng, settings: { ...greedy, maxNewTokens: 3 } },
        { promptIds: [1], rng, settings: { ...greedy, stop: ['END'] } },
        { promptIds: [1], rng },
      ],
      { ...greedy, maxNewTokens: 5 },
    );
    expect(short).toMatchObject({ text: 'abc', finishReason: 'length' });
    expect(stopped).toMatchObject({ text: 'abcdEND', finishReason: 'stop', stopString: 'END' });
    expect(plain).toMatchObject({ text: 'abcdE', finishReason: 'length' });
    expect(policy.sessions).toHaveLength(1);
    expect(policy.sessions[0]!.steps).toHaveLength(6); // 7 tokens for the longest row
  });

  it('finds a stop string long after the start of the response (tail-window search)', async () => {
    const text = `${'x'.repeat(60)}<stop>${'y'.repeat(10)}`;
    const policy = createScriptedPolicy(() => ids(text));
    const [row] = await generateBatch(
      policy,
      createFakeTokenizer(),
      [{ promptIds: [1], rng: new SeededRng(1) }],
      {
        ...greedy,
        maxNewTokens: 100,
        stop: ['<stop>', 'zz'],
      },
    );
    expect(row).toMatchObject({
      text: `${'x'.repeat(60)}<stop>`,
      stopString: '<stop>',
      finishReason: 'stop',
    });
    expect(row!.tokenIds).toHaveLength(66);
  });

  it('reports top alternatives when asked', async () => {
    const policy = createScriptedPolicy(() => ids('ab'));
    const [row] = await generateBatch(
      policy,
      createFakeTokenizer(),
      [{ promptIds: [1], rng: new SeededRng(1) }],
      { ...greedy, maxNewTokens: 2, topLogProbs: 3 },
    );
    expect(row!.topLogProbs).toHaveLength(2);
    expect(row!.topLogProbs![0]![0]!.tokenId).toBe('a'.charCodeAt(0));
    expect(row!.topLogProbs![0]).toHaveLength(3);
  });
});

describe('generateBatch vocabulary', () => {
  it('never draws ids beyond the tokenizer’s vocabulary, and reports log-probs over the model’s whole vocabulary', async () => {
    // A 160-id model whose padding ids (128..159) carry most of the mass; the fake tokenizer knows 128 ids.
    const tokenizer = createFakeTokenizer();
    const padded = {
      ...createScriptedPolicy(() => [], 160),
      startDecoding: async (promptIds: readonly (readonly number[])[]) => {
        const row = () => {
          const logits = new Float32Array(160);
          logits.fill(5, 128);
          logits['q'.charCodeAt(0)] = 1;
          return logits;
        };
        return {
          batchSize: promptIds.length,
          prefill: async () => promptIds.map(row),
          step: async () => promptIds.map(row),
          dispose: () => undefined,
        };
      },
    };
    const [row] = await generateBatch(padded, tokenizer, [{ promptIds: [1], rng: new SeededRng(2) }], {
      ...greedy,
      temperature: 1,
      maxNewTokens: 20,
    });
    expect(row!.tokenIds.every((id) => id < 128)).toBe(true);
    const z = new Float32Array(160).fill(5, 128);
    z['q'.charCodeAt(0)] = 1;
    const { logProbAt } = await import('./sampling');
    row!.tokenIds.forEach((id, t) => expect(row!.logProbs[t]).toBeCloseTo(logProbAt(z, id), 6));
  });
});
