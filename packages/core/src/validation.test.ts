import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors';
import { SampleOptionsSchema } from './schemas';
import { parseConfig } from './validation';

describe('parseConfig', () => {
  it('names the field, the bad value and the rule', () => {
    const bad = { n: 4, temperature: 1, topP: 1.5, maxNewTokens: 10 };
    expect(() => parseConfig(SampleOptionsSchema, bad, 'sampler')).toThrow(ConfigError);
    try {
      parseConfig(SampleOptionsSchema, bad, 'sampler');
    } catch (error) {
      expect((error as ConfigError).path).toBe('sampler.topP');
      expect((error as Error).message).toMatch(/sampler\.topP: .*got 1\.5/);
    }
  });

  it('returns the parsed value when valid', () => {
    const ok = parseConfig(SampleOptionsSchema, { n: 2, temperature: 0, topP: 1, maxNewTokens: 5 });
    expect(ok.n).toBe(2);
  });
});
