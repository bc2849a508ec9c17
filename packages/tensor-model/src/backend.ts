/**
 * Backend selection: the fastest TensorFlow.js backend that loads here.
 *
 * Order: `tensorflow-gpu` (@tensorflow/tfjs-node-gpu) → `tensorflow` (@tensorflow/tfjs-node) →
 * `wasm` (@tensorflow/tfjs-backend-wasm) → `cpu` (pure JS, ~40× slower than wasm). The native
 * packages are optional peer dependencies, loaded with a dynamic `import()`; a missing or broken
 * one is recorded in the report and the next backend is tried. `OREAL_BACKEND` (or
 * `options.preferred`) names a single backend to use; if it fails, `BackendUnavailableError`.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError } from '@oreal-ts/core';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A backend this package can pick. */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** All backends, fastest first. */
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** One backend that was tried. */
export interface BackendAttempt {
  readonly backend: BackendName;
  readonly ok: boolean;
  /** Why it failed (absent when `ok`). */
  readonly error?: string;
}

/** What `initBackend` chose and why. */
export interface BackendReport {
  /** The backend now active. */
  readonly backend: BackendName;
  /** Why this one: `OREAL_BACKEND`, `options.preferred`, or first that loaded in priority order. */
  readonly reason: string;
  /** Every backend tried, in order. */
  readonly attempts: readonly BackendAttempt[];
}

/** Options of `initBackend`. */
export interface InitBackendOptions {
  /** Use exactly this backend (overrides `OREAL_BACKEND`). */
  readonly preferred?: BackendName;
  /** Do not print the report (default: printed to stderr once per process). */
  readonly quiet?: boolean;
}

/** The name TensorFlow.js registers for each of our backends. */
const TFJS_NAME: Record<BackendName, string> = {
  'tensorflow-gpu': 'tensorflow',
  tensorflow: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

let current: Promise<BackendReport> | undefined;
let currentKey: string | undefined;

function isBackendName(value: string): value is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(value);
}

/** The directory holding the wasm backend's `.wasm` files (its package's `dist/`), with a trailing slash. */
function wasmDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

async function loadBackend(name: BackendName): Promise<void> {
  switch (name) {
    case 'tensorflow-gpu':
      // Registers the 'tensorflow' backend backed by libtensorflow with CUDA.
      await import(/* @vite-ignore */ '@tensorflow/tfjs-node-gpu' as string);
      break;
    case 'tensorflow':
      await import(/* @vite-ignore */ '@tensorflow/tfjs-node' as string);
      break;
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      if (typeof process !== 'undefined' && process.versions?.node) {
        const directory = wasmDirectory();
        // Node's wasm loader reads files by path; a file URL would also work for fetch-based loaders.
        wasm.setWasmPaths(directory.startsWith('/') ? directory : pathToFileURL(directory).href);
      }
      break;
    }
    case 'cpu':
      break;
  }
  const ok = await tf.setBackend(TFJS_NAME[name]);
  if (!ok) throw new Error(`tf.setBackend('${TFJS_NAME[name]}') returned false`);
  await tf.ready();
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/** Human-readable one-paragraph report. */
export function formatBackendReport(report: BackendReport): string {
  const failed = report.attempts.filter((attempt) => !attempt.ok);
  const lines = [`[tensor-model] backend: ${report.backend} (${report.reason})`];
  for (const attempt of failed) lines.push(`  ${attempt.backend} unavailable: ${attempt.error ?? 'unknown error'}`);
  return lines.join('\n');
}

async function select(preferred: BackendName | undefined, reason: string): Promise<BackendReport> {
  const attempts: BackendAttempt[] = [];
  const order = preferred ? [preferred] : BACKEND_ORDER;
  for (const backend of order) {
    try {
      await loadBackend(backend);
      attempts.push({ backend, ok: true });
      return { backend, reason: preferred ? reason : `first available in order ${BACKEND_ORDER.join(' > ')}`, attempts };
    } catch (error) {
      attempts.push({ backend, ok: false, error: describe(error) });
    }
  }
  const last = attempts[attempts.length - 1];
  throw new BackendUnavailableError(
    preferred ?? 'any',
    `${preferred ? `requested by ${reason}, ` : ''}failed to load (${attempts.map((a) => `${a.backend}: ${a.error}`).join('; ')}); ` +
      `install the backend's package or choose another with OREAL_BACKEND=${BACKEND_ORDER.join('|')}`,
    { cause: last?.error },
  );
}

/**
 * Pick and activate the TensorFlow.js backend; returns what was chosen and why the others failed.
 * Idempotent: later calls with the same choice return the first report.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendReport> {
  const fromEnvironment = typeof process !== 'undefined' ? process.env.OREAL_BACKEND?.trim() : undefined;
  let preferred: BackendName | undefined;
  let reason = '';
  if (options.preferred) {
    preferred = options.preferred;
    reason = 'options.preferred';
  } else if (fromEnvironment) {
    if (!isBackendName(fromEnvironment)) {
      throw new BackendUnavailableError(fromEnvironment, `OREAL_BACKEND must be one of ${BACKEND_ORDER.join(', ')}`);
    }
    preferred = fromEnvironment;
    reason = 'OREAL_BACKEND';
  }
  const key = preferred ?? 'auto';
  if (current && currentKey === key) return current;
  currentKey = key;
  current = select(preferred, reason).then((report) => {
    if (!options.quiet) process.stderr.write(formatBackendReport(report) + '\n');
    return report;
  });
  current.catch(() => {
    current = undefined;
    currentKey = undefined;
  });
  return current;
}
