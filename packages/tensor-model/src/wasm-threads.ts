/**
 * Both cores on the wasm backend: the multi-threaded SIMD build of `@tensorflow/tfjs-backend-wasm`
 * in Node.
 *
 * tfjs 4.22 turns that build off in Node (`WASM_HAS_MULTITHREAD_SUPPORT` is false whenever
 * `IS_NODE`, tfjs issue 3830) for three reasons, each handled here while the backend initialises:
 * 1. The pthread workers are created from a `blob:` URL, which Node's `Worker` refuses: a
 *    `Worker` subclass starts them from the package's own `wasm-out/…threaded-simd.worker.js`
 *    source instead (`eval: true`).
 * 2. Each worker then loads the main script from a `Blob` holding the bundle's factory, which
 *    refers to bundle-level names and cannot run alone: the `load` message is given the path of the
 *    package's stand-alone `wasm-out/tfjs-backend-wasm-threaded-simd.js`.
 * 3. The XNNPACK thread pool is sized `logical cores / 2` (it assumes two hyper-threads per core):
 *    `os.cpus()` is made to report twice the requested thread count while the module starts, and
 *    is restored right after.
 *
 * XNNPACK splits a product by output tiles, so every output element is summed in the same order
 * as on one thread: results are identical to the single-thread build (tested in
 * `test/wasm-threads.test.ts`). Any failure falls back to one thread (see `backend.ts`).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { Worker as NodeWorker, type WorkerOptions } from 'node:worker_threads';

/** How many wasm threads were asked for: `auto` (one per core, at most 4) or a count ≥ 1. */
export type WasmThreadsRequest = 'auto' | number;

/** What was decided about wasm threads, for the backend report. */
export interface WasmThreadsDecision {
  /** Threads the wasm backend will run (1 = the single-thread SIMD build). */
  readonly threads: number;
  /** Why this many. */
  readonly reason: string;
}

/** The most threads `auto` picks (tfjs's own cap; XNNPACK gains little beyond it on small shapes). */
export const MAX_AUTO_WASM_THREADS = 4;

/** Parse `OREAL_WASM_THREADS` (`auto` or a positive integer); throws naming the variable otherwise. */
export function parseWasmThreads(value: string | undefined): WasmThreadsRequest | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (trimmed === 'auto') return 'auto';
  const count = Number(trimmed);
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`OREAL_WASM_THREADS must be 'auto' or a positive integer, got '${value}'`);
  }
  return count;
}

/** What the machine offers, for `decideWasmThreads` (a pure function of it). */
export interface WasmThreadsEnvironment {
  /** Cores this process may use (`os.availableParallelism()`). */
  readonly cores: number;
  /** Why the threaded build cannot run here, or undefined when it can. */
  readonly missing?: string;
}

/** The thread count for a request on a machine: `auto` uses every core up to 4; one core, or a missing prerequisite, means 1. */
export function decideWasmThreads(request: WasmThreadsRequest, environment: WasmThreadsEnvironment): WasmThreadsDecision {
  const wanted = request === 'auto' ? Math.min(environment.cores, MAX_AUTO_WASM_THREADS) : request;
  const source = request === 'auto' ? `auto: ${environment.cores} core${environment.cores === 1 ? '' : 's'}` : `requested ${request}`;
  if (wanted <= 1) return { threads: 1, reason: `${source}, single-thread build` };
  if (environment.missing) return { threads: 1, reason: `${source}, but ${environment.missing}: single-thread build` };
  return { threads: wanted, reason: `${source}, multi-threaded SIMD build` };
}

/** The package's `wasm-out/` directory (raw Emscripten output, shipped with the npm package). */
function wasmOutDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
}

const WORKER_FILE = 'tfjs-backend-wasm-threaded-simd.worker.js';
const MAIN_SCRIPT_FILE = 'tfjs-backend-wasm-threaded-simd.js';

/** Why the threaded build cannot run in this process, or undefined when everything it needs is present. */
export function threadedWasmMissing(): string | undefined {
  if (typeof SharedArrayBuffer !== 'function') return 'SharedArrayBuffer is unavailable';
  if (typeof Atomics !== 'object') return 'Atomics is unavailable';
  try {
    const out = wasmOutDirectory();
    for (const file of [WORKER_FILE, MAIN_SCRIPT_FILE]) {
      if (!existsSync(join(out, file))) return `@tensorflow/tfjs-backend-wasm lacks wasm-out/${file}`;
    }
  } catch (error) {
    return `@tensorflow/tfjs-backend-wasm not found (${error instanceof Error ? error.message : String(error)})`;
  }
  return undefined;
}

/** The machine as `decideWasmThreads` sees it. */
export function wasmThreadsEnvironment(): WasmThreadsEnvironment {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const missing = threadedWasmMissing();
  return missing ? { cores, missing } : { cores };
}

/** The pthread workers created so far, and whether the module has finished starting. */
const pthreadWorkers = new Set<NodeWorker>();
let moduleStarted = false;

/**
 * The pool's threads wait for work forever; once the module has started they must not keep the
 * process alive (while it starts, their 'loaded' messages are what the start-up waits for).
 */
function releasePthreadWorkers(): void {
  moduleStarted = true;
  for (const worker of pthreadWorkers) worker.unref();
}

/** A Node `Worker` that starts Emscripten's pthread workers from files instead of `blob:` URLs. */
function pthreadWorkerClass(): typeof NodeWorker {
  const out = wasmOutDirectory();
  const require = createRequire(import.meta.url);
  // The file is a CommonJS module exporting the worker source as a string; tfjs escapes its '\n'
  // escapes the same way before making a Blob of it.
  const source = (require(join(out, WORKER_FILE)) as { wasmWorkerContents: string }).wasmWorkerContents.replace(/\n/g, '\\n');
  const mainScript = join(out, MAIN_SCRIPT_FILE);
  return class PthreadWorker extends NodeWorker {
    constructor(_url: string | URL, options?: WorkerOptions) {
      super(source, { ...options, eval: true });
      pthreadWorkers.add(this);
    }
    // A 'message' listener refs the worker's port again (Node's port referencing), so a worker
    // created after start-up is unref'd once Emscripten has attached its listener.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- must match Worker.on's catch-all overload
    override on(event: string | symbol, listener: (...args: any[]) => void): this {
      super.on(event, listener);
      if (moduleStarted && event === 'message') this.unref();
      return this;
    }
    override postMessage(message: unknown, transfer?: Parameters<NodeWorker['postMessage']>[1]): void {
      const value = message as { cmd?: unknown } | null;
      super.postMessage(value && value.cmd === 'load' ? { ...value, urlOrBlob: mainScript } : message, transfer);
    }
  };
}

/**
 * Make the next wasm backend initialisation use `threads` threads (≥ 2). Returns `restore`, to be
 * called once initialisation has finished (or failed): it puts `os.cpus` back and leaves the
 * pthread `Worker` class as `globalThis.Worker` (Node has none of its own; the module looks it up
 * whenever it needs another worker).
 */
export function prepareThreadedWasm(
  threads: number,
  setFlag: (threaded: boolean) => void,
  setThreadsCount: (threads: number) => void,
): () => void {
  const PthreadWorker = pthreadWorkerClass();
  const realCpus = os.cpus;
  const global = globalThis as { Worker?: unknown };
  // The module assigns `global.Worker = worker_threads.Worker` while it starts: keep ours.
  Object.defineProperty(global, 'Worker', { configurable: true, enumerable: false, get: () => PthreadWorker, set: () => undefined });
  os.cpus = () => {
    const real = realCpus();
    return Array.from({ length: 2 * threads }, (_, i) => real[i % real.length] as os.CpuInfo);
  };
  setFlag(true);
  setThreadsCount(threads);
  return () => {
    releasePthreadWorkers();
    os.cpus = realCpus;
    Object.defineProperty(global, 'Worker', { configurable: true, writable: true, enumerable: false, value: PthreadWorker });
  };
}
