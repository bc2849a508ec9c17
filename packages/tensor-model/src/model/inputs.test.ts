import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@oreal-ts/core';
import { attentionBias, leftPad, MASKED, packPromptResponse, positionsFromMask, rotaryTables } from './inputs';

describe('padding and positions', () => {
  it('left-pads and numbers positions as cumsum(mask) − 1 (Hugging Face)', () => {
    const packed = leftPad([[5, 6, 7], [8]]);
    expect(Array.from(packed.ids)).toEqual([5, 6, 7, 0, 0, 8]);
    expect(Array.from(packed.mask)).toEqual([1, 1, 1, 0, 0, 1]);
    expect(Array.from(packed.positions)).toEqual([0, 1, 2, 0, 0, 0]);
    expect(Array.from(positionsFromMask(Uint8Array.from([0, 1, 1, 0, 1]), 1, 5))).toEqual([0, 0, 1, 0, 2]);
  });

  it('aligns every response at column P_max so logits at P_max − 1 + t predict token t', () => {
    const packed = packPromptResponse([[1, 2], [3]], [[4], [5, 6]]);
    expect(packed.length).toBe(3);
    expect(Array.from(packed.ids)).toEqual([1, 2, 0, 0, 3, 5]);
    expect(Array.from(packed.mask)).toEqual([1, 1, 0, 0, 1, 1]);
    expect(Array.from(packed.targets)).toEqual([4, 0, 5, 6]);
    expect(Array.from(packed.targetMask)).toEqual([1, 0, 1, 1]);
    expect(() => packPromptResponse([[]], [[1]])).toThrow(InvalidArgumentError);
    expect(() => packPromptResponse([[1]], [])).toThrow(/1 rows but responseIds has 0/);
  });

  it('masks future and padding keys', () => {
    const bias = attentionBias(Uint8Array.from([0, 1, 1]), 1, 3, 3, 0);
    expect(Array.from(bias)).toEqual([MASKED, MASKED, MASKED, MASKED, 0, MASKED, MASKED, 0, 0]);
    // one new query after 2 cached keys sees all 3
    expect(Array.from(attentionBias(Uint8Array.from([1, 1, 1]), 1, 1, 3, 2))).toEqual([0, 0, 0]);
  });

  it('builds rotary tables as [θ, θ] halves with θ_i = p / base^(2i/D)', () => {
    const { cos, sin } = rotaryTables(Int32Array.from([3]), 4, 100);
    const angles = [3, 3 / 10];
    expect(Array.from(cos)).toEqual([...angles, ...angles].map((a) => Math.fround(Math.cos(a))));
    expect(Array.from(sin)).toEqual([...angles, ...angles].map((a) => Math.fround(Math.sin(a))));
  });
});
