import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { datumFromSequence, responseValues, tensorData } from './datum';

const tokens = (min: number) => fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: min, maxLength: 12 });

describe('datumFromSequence', () => {
  it('aligns model_input = full[:-1], target_tokens = full[1:], inputs at the response positions only', () => {
    fc.assert(
      fc.property(tokens(1), tokens(1), (prompt, response) => {
        const weights = response.map((_, t) => t + 1);
        const datum = datumFromSequence(prompt, response, { weights });
        const full = [...prompt, ...response];
        const input = datum.model_input.chunks.flatMap((c) => c.tokens);
        const targets = datum.loss_fn_inputs['target_tokens']?.data ?? [];
        const placed = datum.loss_fn_inputs['weights']?.data ?? [];
        expect(input).toEqual(full.slice(0, -1));
        expect(targets).toEqual(full.slice(1));
        expect(placed).toHaveLength(full.length - 1);
        // position i predicts full[i+1]: response token t sits at position P−1+t
        response.forEach((token, t) => {
          expect(targets[prompt.length - 1 + t]).toBe(token);
          expect(placed[prompt.length - 1 + t]).toBe(t + 1);
        });
        expect(placed.slice(0, prompt.length - 1).every((w) => w === 0)).toBe(true);
        expect(responseValues(placed, prompt.length, response.length)).toEqual(weights);
      }),
    );
  });

  it('rejects an empty prompt or a loss input of the wrong length', () => {
    expect(() => datumFromSequence([], [1])).toThrow(/promptIds/);
    expect(() => datumFromSequence([1], [2, 3], { weights: [1] })).toThrow(/one value per response token/);
  });

  it('tensorData checks shape and int64 values', () => {
    expect(tensorData([1, 2, 3, 4], 'float32', [2, 2])).toEqual({ data: [1, 2, 3, 4], dtype: 'float32', shape: [2, 2] });
    expect(() => tensorData([1, 2, 3], 'float32', [2, 2])).toThrow(/holds 4 values/);
    expect(() => tensorData([1.5], 'int64')).toThrow(/integers/);
  });
});
