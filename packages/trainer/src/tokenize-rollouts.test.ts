import type { Rollout } from '@oreal-ts/core';
import { createFakeTokenizer } from '@oreal-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { tokenizeRollout } from './tokenize-rollouts';

const remote = (text: string, finishReason: Rollout['finishReason']): Rollout => ({
  problemId: 'p',
  sampleIndex: 0,
  prompt: 'Q',
  text,
  tokenIds: [],
  logProbs: [],
  finishReason,
});

describe('tokenizeRollout', () => {
  const tokenizer = createFakeTokenizer();
  it('encodes a remote rollout and appends EOS when it stopped on EOS', () => {
    expect(tokenizeRollout(remote('ab', 'stop'), tokenizer)).toMatchObject({
      tokenIds: [97, 98, 0],
      promptTokenIds: [81],
    });
  });
  it('adds no EOS when truncated or when a stop string ended it (the string is part of the text)', () => {
    expect(tokenizeRollout(remote('ab', 'length'), tokenizer).tokenIds).toEqual([97, 98]);
    expect(tokenizeRollout(remote('ab#', 'stop'), tokenizer, ['#']).tokenIds).toEqual([97, 98, 35]);
  });
  it('keeps token ids a local sampler sent', () => {
    const local: Rollout = {
      ...remote('ab', 'stop'),
      tokenIds: [5, 6],
      logProbs: [-1, -2],
      promptTokenIds: [1],
    };
    expect(tokenizeRollout(local, tokenizer)).toMatchObject({
      tokenIds: [5, 6],
      logProbs: [-1, -2],
      promptTokenIds: [1],
    });
  });
});
