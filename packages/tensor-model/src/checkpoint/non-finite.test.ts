import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstNonFinite } from './weight-reload';

describe('firstNonFinite', () => {
  it('agrees with findIndex(!Number.isFinite) on arrays with NaN, ±Infinity and extreme finite values', () => {
    const value = fc.oneof(
      fc.float({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(Number.NaN, Infinity, -Infinity, 3.4028234663852886e38, -0, 1e-45),
    );
    fc.assert(
      fc.property(fc.array(value, { maxLength: 40 }), (values) => {
        const data = Float32Array.from(values);
        expect(firstNonFinite(data)).toBe(data.findIndex((v) => !Number.isFinite(v)));
      }),
      { numRuns: 300 },
    );
  });
});
