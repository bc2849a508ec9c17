/**
 * Both cores on wasm: the multi-threaded build must give the single-thread build's results, and a
 * threaded build that cannot start must fall back to one thread. The backend starts once per
 * process, so each setting runs in its own child process (`support/threads-probe.ts`, bundled
 * from source here).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideWasmThreads, MAX_AUTO_WASM_THREADS, parseWasmThreads } from '../src/wasm-threads';

interface ProbeOutput {
  readonly backend: string;
  readonly wasmThreads: { threads: number; reason: string };
  readonly wasmKernels: string[];
  readonly logProbs: string;
  readonly weights: Record<string, string>;
}

let directory: string;
let probe: string;

beforeAll(async () => {
  // Inside the package, so the bundle's external imports resolve from its node_modules.
  const parent = fileURLToPath(new URL('../test-results/', import.meta.url));
  await mkdir(parent, { recursive: true });
  directory = await mkdtemp(join(parent, 'threads-probe-'));
  // One ESM file: this package and @oreal-ts/* from source, everything else from node_modules.
  await build({
    entry: { probe: fileURLToPath(new URL('./support/threads-probe.ts', import.meta.url)) },
    outDir: directory,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    dts: false,
    silent: true,
    splitting: false,
    tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)),
    noExternal: [/^@oreal-ts\//],
    esbuildPlugins: [
      {
        name: 'third-party-external',
        setup(builder) {
          builder.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@oreal-ts/') ? undefined : { path: args.path, external: true }));
        },
      },
    ],
    esbuildOptions(options) {
      options.conditions = ['source', 'node', 'import', 'module', 'default'];
    },
  });
  probe = join(directory, 'probe.js');
}, 120_000);

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

function runProbe(env: Record<string, string>, killAfterMs = 90_000): Promise<ProbeOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [probe], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, OREAL_BACKEND: 'wasm', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`probe ${JSON.stringify(env)} exited ${code}:\n${stderr}`));
      else {
        try {
          resolve(JSON.parse(stdout.trim().split('\n').pop() as string) as ProbeOutput);
        } catch (error) {
          reject(new Error(`probe ${JSON.stringify(env)} printed no JSON line (${String(error)}): ${stdout.slice(0, 500)}`));
        }
      }
    });
  });
}

const floats = (base64: string) => {
  const bytes = Buffer.from(base64, 'base64');
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};

/** Largest |a − b| / max(|a|, |b|, 1e-30) over two equally long arrays. */
function largestRelativeDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const scale = Math.max(Math.abs(a[i] as number), Math.abs(b[i] as number), 1e-30);
    worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)) / scale);
  }
  return worst;
}

function expectSameResults(threaded: ProbeOutput, single: ProbeOutput): void {
  expect(largestRelativeDifference(floats(threaded.logProbs), floats(single.logProbs))).toBeLessThanOrEqual(1e-6);
  expect(Object.keys(threaded.weights).sort()).toEqual(Object.keys(single.weights).sort());
  for (const name of Object.keys(single.weights)) {
    expect(largestRelativeDifference(floats(threaded.weights[name] as string), floats(single.weights[name] as string)), name).toBeLessThanOrEqual(1e-6);
  }
}

describe('wasm threads', () => {
  it('two threads train to the same weights and log-probabilities as one thread, with or without the replaced kernels', async () => {
    // Tensor attention in all three: tfjs's own kernels have no fused attention to compare with
    // (the fused kernel on 1 and 2 threads is compared below).
    const tensors = { OREAL_FUSED_ATTENTION: 'tensors' };
    const [single, threaded, threadedTfjsKernels] = await Promise.all([
      runProbe({ ...tensors, OREAL_WASM_THREADS: '1' }),
      runProbe({ ...tensors, OREAL_WASM_THREADS: '2' }),
      runProbe({ ...tensors, OREAL_WASM_THREADS: '2', OREAL_WASM_KERNELS: 'tfjs' }),
    ]);
    expect(single.wasmThreads).toEqual({ threads: 1, reason: 'requested 1, single-thread build' });
    expect(threaded.wasmThreads).toEqual({ threads: 2, reason: 'requested 2, multi-threaded SIMD build' });
    // The replaced kernels run in the single-thread build's memory and in the threaded build's shared one.
    expect(single.wasmKernels).toEqual(threaded.wasmKernels);
    expect(threaded.wasmKernels).toContain('Transpose');
    expect(threadedTfjsKernels.wasmKernels).toEqual([]);
    expect(floats(single.logProbs).length).toBe(156);
    expect(floats(single.logProbs).every((value) => Number.isFinite(value) && value < 0)).toBe(true);
    expectSameResults(threaded, single);
    expectSameResults(threadedTfjsKernels, threaded);
  }, 180_000);

  it('the fused attention kernel on the thread pool gives one thread\'s results exactly', async () => {
    const [single, threaded] = await Promise.all([
      runProbe({ OREAL_WASM_THREADS: '1', OREAL_FUSED_ATTENTION: 'kernel' }),
      runProbe({ OREAL_WASM_THREADS: '2', OREAL_FUSED_ATTENTION: 'kernel' }),
    ]);
    expect(threaded.wasmThreads.threads).toBe(2);
    expect(threaded.wasmKernels).toContain('CausalAttention');
    expect(threaded.logProbs).toBe(single.logProbs); // same bytes: each unit runs on one thread, in one order
    expect(threaded.weights).toEqual(single.weights);
  }, 180_000);

  it('falls back to one thread, with the reason, when the threaded build cannot start or lacks shared memory', async () => {
    const [single, failed, noSharedMemory] = await Promise.all([
      runProbe({ OREAL_WASM_THREADS: '1' }),
      runProbe({ OREAL_WASM_THREADS: '2', PROBE_BREAK: 'worker' }),
      runProbe({ OREAL_WASM_THREADS: '2', PROBE_BREAK: 'shared-memory' }),
    ]);
    expect(failed.backend).toBe('wasm');
    expect(failed.wasmThreads.threads).toBe(1);
    expect(failed.wasmThreads.reason).toMatch(/^requested 2, multi-threaded SIMD build failed to start \(.+\): single-thread build$/);
    expect(noSharedMemory.wasmThreads).toEqual({ threads: 1, reason: 'requested 2, but SharedArrayBuffer is unavailable: single-thread build' });
    expectSameResults(failed, single);
    expectSameResults(noSharedMemory, single);
  }, 180_000);
});

describe('wasm threads and process exit', () => {
  it('a threaded process ends by itself when its work is done (idle pool threads keep nothing alive)', async () => {
    // With the fused attention kernel, both tfjs's pthreads and this package's kernel pool exist.
    const natural = await runProbe({ OREAL_WASM_THREADS: '2', OREAL_FUSED_ATTENTION: 'kernel', PROBE_NATURAL_EXIT: '1' }, 30_000);
    expect(natural.wasmThreads.threads).toBe(2);
  }, 60_000);
});

describe('decideWasmThreads', () => {
  it('uses every core up to the cap for auto, and one thread on one core', () => {
    expect(decideWasmThreads('auto', { cores: 2 })).toEqual({ threads: 2, reason: 'auto: 2 cores, multi-threaded SIMD build' });
    expect(decideWasmThreads('auto', { cores: 64 }).threads).toBe(MAX_AUTO_WASM_THREADS);
    expect(decideWasmThreads('auto', { cores: 1 })).toEqual({ threads: 1, reason: 'auto: 1 core, single-thread build' });
  });

  it('honours an explicit count and falls back when a prerequisite is missing', () => {
    expect(decideWasmThreads(3, { cores: 2 }).threads).toBe(3);
    expect(decideWasmThreads(1, { cores: 8 }).threads).toBe(1);
    expect(decideWasmThreads(2, { cores: 2, missing: 'Atomics is unavailable' })).toEqual({
      threads: 1,
      reason: 'requested 2, but Atomics is unavailable: single-thread build',
    });
  });
});

describe('parseWasmThreads', () => {
  it('reads auto and positive integers, and names the variable for anything else', () => {
    expect(parseWasmThreads(undefined)).toBeUndefined();
    expect(parseWasmThreads(' ')).toBeUndefined();
    expect(parseWasmThreads('auto')).toBe('auto');
    expect(parseWasmThreads('2')).toBe(2);
    for (const bad of ['0', '-1', '1.5', 'two']) expect(() => parseWasmThreads(bad)).toThrow(/OREAL_WASM_THREADS must be 'auto' or a positive integer/);
  });
});
