import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  ConfigError,
  DataFormatError,
  OrealError,
  SpecificationVersionError,
  WeightSyncError,
  assertSpecificationVersion,
} from './errors';

describe('errors', () => {
  it('carry where the problem is in the message and fields', () => {
    const e = new DataFormatError('data.jsonl', 3, 'answer', 'expected string');
    expect(e.message).toBe("data.jsonl:3: field 'answer': expected string");
    expect(e).toMatchObject({ file: 'data.jsonl', line: 3, field: 'answer', code: 'DATA_FORMAT', name: 'DataFormatError' });
    expect(new ConfigError('sampler.topP', 'must be ≤ 1').message).toBe('sampler.topP: must be ≤ 1');
  });

  it('a weight-sync error names the server and the version', () => {
    const e = new WeightSyncError('http://127.0.0.1:8001', 7, 'config.json missing');
    expect(e.message).toBe('http://127.0.0.1:8001: could not load policy version 7: config.json missing');
    expect(e).toMatchObject({ baseUrl: 'http://127.0.0.1:8001', version: 7, code: 'WEIGHT_SYNC' });
    expect(WeightSyncError.is(e)).toBe(true);
    expect(CheckpointError.is(e)).toBe(false);
  });

  it('identity checks survive a second copy of the package (brand, not prototype)', () => {
    const foreign = Object.assign(new Error('from another copy'), { code: 'CHECKPOINT' });
    Object.defineProperty(foreign, Symbol.for('oreal-ts.error'), { value: true });
    expect(foreign instanceof CheckpointError).toBe(false);
    expect(OrealError.is(foreign)).toBe(true);
    expect(CheckpointError.is(foreign)).toBe(true);
    expect(ConfigError.is(foreign)).toBe(false);
    expect(OrealError.is(new Error('plain'))).toBe(false);
    expect(OrealError.is(null)).toBe(false);
  });

  it('assertSpecificationVersion refuses other generations', () => {
    expect(() => assertSpecificationVersion({ id: 'x', specificationVersion: 'v1' })).not.toThrow();
    expect(() => assertSpecificationVersion({ id: 'x', specificationVersion: 'v2' })).toThrow(SpecificationVersionError);
  });
});
