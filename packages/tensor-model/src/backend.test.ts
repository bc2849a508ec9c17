import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError } from '@oreal-ts/core';
import { formatBackendReport, initBackend } from './backend';

afterEach(() => {
  delete process.env.OREAL_BACKEND;
});

describe('initBackend', () => {
  it('tries the native backends first and reports why they failed (they are not installed here)', async () => {
    const report = await initBackend({ quiet: true });
    expect(report.attempts.map((a) => a.backend).slice(0, 2)).toEqual(['tensorflow-gpu', 'tensorflow']);
    const chosen = report.attempts[report.attempts.length - 1];
    expect(chosen).toEqual({ backend: report.backend, ok: true });
    for (const failed of report.attempts.slice(0, -1)) {
      expect(failed.ok).toBe(false);
      expect(failed.error).toBeTruthy();
    }
    expect(tf.getBackend()).toBe(report.backend === 'tensorflow-gpu' ? 'tensorflow' : report.backend);
    expect(formatBackendReport(report)).toContain(`backend: ${report.backend}`);
  });

  it('honours OREAL_BACKEND and options.preferred', async () => {
    process.env.OREAL_BACKEND = 'cpu';
    const fromEnvironment = await initBackend({ quiet: true });
    expect(fromEnvironment).toMatchObject({ backend: 'cpu', reason: 'OREAL_BACKEND', attempts: [{ backend: 'cpu', ok: true }] });
    expect(tf.getBackend()).toBe('cpu');
    const preferred = await initBackend({ preferred: 'wasm', quiet: true });
    expect(preferred).toMatchObject({ backend: 'wasm', reason: 'options.preferred' });
    expect(tf.getBackend()).toBe('wasm');
  });

  it('throws BackendUnavailableError for an unknown name or a backend that cannot load', async () => {
    process.env.OREAL_BACKEND = 'tpu';
    await expect(initBackend({ quiet: true })).rejects.toBeInstanceOf(BackendUnavailableError);
    delete process.env.OREAL_BACKEND;
    const error = await initBackend({ preferred: 'tensorflow', quiet: true }).catch((e: unknown) => e);
    expect(BackendUnavailableError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/tensorflow.*OREAL_BACKEND=/);
  });
});
