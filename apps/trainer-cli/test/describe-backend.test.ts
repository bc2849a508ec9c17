import { describe, expect, it } from 'vitest';
import { describeBackend } from '../src/commands/backend';

describe('describeBackend', () => {
  it('names the backend and why, and on wasm its threads and why', () => {
    const attempts = [{ backend: 'wasm' as const, ok: true }];
    expect(describeBackend({ backend: 'cpu', reason: 'OREAL_BACKEND', attempts: [{ backend: 'cpu', ok: true }] })).toBe('tfjs backend: cpu (OREAL_BACKEND)');
    expect(describeBackend({ backend: 'wasm', reason: 'OREAL_BACKEND', attempts, wasmThreads: { threads: 2, reason: 'auto: 2 cores, multi-threaded SIMD build' } })).toBe(
      'tfjs backend: wasm (OREAL_BACKEND), 2 threads (auto: 2 cores, multi-threaded SIMD build)',
    );
    expect(describeBackend({ backend: 'wasm', reason: '', attempts, wasmThreads: { threads: 1, reason: 'requested 1, single-thread build' } })).toBe(
      'tfjs backend: wasm, 1 thread (requested 1, single-thread build)',
    );
  });
});
