/**
 * Backend selection: the fastest TensorFlow.js backend that loads here.
 *
 * Order: `tensorflow-gpu` (@tensorflow/tfjs-node-gpu) → `tensorflow` (@tensorflow/tfjs-node) →
 * `wasm` (@tensorflow/tfjs-backend-wasm) → `cpu` (pure JS, ~40× slower than wasm). The native
 * packages are optional peer dependencies, loaded with a dynamic `import()`; a missing or broken
 * one is recorded in the report and the next backend is tried. `OREAL_BACKEND` (or
 * `options.preferred`) names a single backend to use; if it fails, `BackendUnavailableError`.
 *
 * On wasm, `OREAL_WASM_THREADS` (or `options.wasmThreads`: `auto`, the default, or a count) picks
 * the multi-threaded SIMD build (`wasm-threads.ts`) when the machine has more than one core; if it
 * cannot start, the single-thread build is used and the report says why. `OREAL_WASM_KERNELS`
 * (default `oreal`) replaces tfjs-wasm kernels that are slow here by this package's, with the same
 * results (`ops/wasm-kernels.ts`); `tfjs` keeps tfjs's own.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError } from '@oreal-ts/core';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  decideWasmThreads,
  parseWasmThreads,
  prepareThreadedWasm,
  wasmThreadsEnvironment,
  type WasmThreadsDecision,
  type WasmThreadsRequest,
} from './wasm-threads';
import { installWasmKernels, parseWasmKernels, WASM_KERNELS_ENV, type WasmKernelsChoice } from './ops/wasm-kernels';

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
  /** On wasm: the threads it runs and why (absent on other backends). */
  readonly wasmThreads?: WasmThreadsDecision;
  /** On wasm: tfjs kernels replaced by this package's (`OREAL_WASM_KERNELS`; absent on other backends). */
  readonly wasmKernels?: readonly string[];
}

/** Options of `initBackend`. */
export interface InitBackendOptions {
  /** Use exactly this backend (overrides `OREAL_BACKEND`). */
  readonly preferred?: BackendName;
  /** Do not print the report (default: printed to stderr once per process). */
  readonly quiet?: boolean;
  /** wasm threads: `auto` (one per core, at most 4) or a count; overrides `OREAL_WASM_THREADS`. */
  readonly wasmThreads?: WasmThreadsRequest;
  /** wasm kernels: `oreal` (default: replace tfjs's slow ones, same results) or `tfjs`; overrides `OREAL_WASM_KERNELS`. */
  readonly wasmKernels?: WasmKernelsChoice;
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

/** Activate a backend that is registered with TensorFlow.js (its package imported). */
async function activate(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(TFJS_NAME[name]);
  if (!ok) throw new Error(`tf.setBackend('${TFJS_NAME[name]}') returned false`);
  await tf.ready();
}

/**
 * Load the wasm backend with the threads asked for; if the threaded build fails to start, load the
 * single-thread build instead. Returns what runs.
 */
let wasmDecision: WasmThreadsDecision | undefined;

async function loadWasm(request: WasmThreadsRequest): Promise<WasmThreadsDecision> {
  // The wasm module starts once per process: a later call reuses it, whatever it asks for.
  if (wasmDecision && tf.findBackend('wasm')) {
    await activate('wasm');
    return wasmDecision;
  }
  wasmDecision = await startWasm(request);
  return wasmDecision;
}

async function startWasm(request: WasmThreadsRequest): Promise<WasmThreadsDecision> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const inNode = typeof process !== 'undefined' && Boolean(process.versions?.node);
  if (inNode) {
    const directory = wasmDirectory();
    // Node's wasm loader reads files by path; a file URL would also work for fetch-based loaders.
    wasm.setWasmPaths(directory.startsWith('/') ? directory : pathToFileURL(directory).href);
  }
  const setFlag = (threaded: boolean) => tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threaded);
  const decision = inNode ? decideWasmThreads(request, wasmThreadsEnvironment()) : { threads: 1, reason: 'not Node: tfjs decides' };
  if (decision.threads > 1) {
    const restore = prepareThreadedWasm(decision.threads, setFlag, wasm.setThreadsCount);
    let failure: unknown;
    try {
      await activate('wasm');
    } catch (error) {
      failure = error;
    } finally {
      restore();
    }
    if (failure === undefined) {
      const threads = wasm.getThreadsCount();
      return threads === decision.threads ? decision : { threads, reason: `${decision.reason}, but its thread pool has ${threads}` };
    }
    // A failed initialisation leaves no backend instance; the registered factory builds the
    // single-thread module on the next attempt.
    setFlag(false);
    wasm.setThreadsCount(1);
    await activate('wasm');
    return { threads: 1, reason: `${decision.reason} failed to start (${describe(failure)}): single-thread build` };
  }
  if (inNode) setFlag(false);
  await activate('wasm');
  return decision;
}

async function loadBackend(name: BackendName, wasmThreads: WasmThreadsRequest): Promise<WasmThreadsDecision | undefined> {
  switch (name) {
    case 'tensorflow-gpu':
      // Registers the 'tensorflow' backend backed by libtensorflow with CUDA.
      await import(/* @vite-ignore */ '@tensorflow/tfjs-node-gpu' as string);
      break;
    case 'tensorflow':
      await import(/* @vite-ignore */ '@tensorflow/tfjs-node' as string);
      break;
    case 'wasm':
      return loadWasm(wasmThreads);
    case 'cpu':
      break;
  }
  await activate(name);
  return undefined;
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/** Human-readable one-paragraph report. */
export function formatBackendReport(report: BackendReport): string {
  const failed = report.attempts.filter((attempt) => !attempt.ok);
  const lines = [`[tensor-model] backend: ${report.backend} (${report.reason})`];
  if (report.wasmThreads) lines.push(`  wasm threads: ${report.wasmThreads.threads} (${report.wasmThreads.reason})`);
  if (report.wasmKernels) lines.push(`  wasm kernels replaced: ${report.wasmKernels.length ? report.wasmKernels.join(', ') : `none (${WASM_KERNELS_ENV})`}`);
  for (const attempt of failed) lines.push(`  ${attempt.backend} unavailable: ${attempt.error ?? 'unknown error'}`);
  return lines.join('\n');
}

async function select(preferred: BackendName | undefined, reason: string, wasmThreads: WasmThreadsRequest, wasmKernels: WasmKernelsChoice): Promise<BackendReport> {
  const attempts: BackendAttempt[] = [];
  const order = preferred ? [preferred] : BACKEND_ORDER;
  for (const backend of order) {
    try {
      const threads = await loadBackend(backend, wasmThreads);
      attempts.push({ backend, ok: true });
      const chosen = { backend, reason: preferred ? reason : `first available in order ${BACKEND_ORDER.join(' > ')}`, attempts };
      return threads ? { ...chosen, wasmThreads: threads, wasmKernels: installWasmKernels(wasmKernels, threads.threads) } : chosen;
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
  const wasmThreads = options.wasmThreads ?? parseWasmThreads(typeof process !== 'undefined' ? process.env.OREAL_WASM_THREADS : undefined) ?? 'auto';
  const wasmKernels = options.wasmKernels ?? parseWasmKernels(typeof process !== 'undefined' ? process.env[WASM_KERNELS_ENV] : undefined);
  const key = preferred ?? 'auto';
  if (current && currentKey === key) return current;
  currentKey = key;
  current = select(preferred, reason, wasmThreads, wasmKernels).then((report) => {
    if (!options.quiet) process.stderr.write(formatBackendReport(report) + '\n');
    return report;
  });
  current.catch(() => {
    current = undefined;
    currentKey = undefined;
  });
  return current;
}
