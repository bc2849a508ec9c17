/**
 * A pool of threads that run one hand-written kernel side by side on one shared WebAssembly memory
 * (the multi-threaded wasm backend's): each worker instantiates the same compiled module on that
 * memory, so a call's inputs and outputs are never copied between threads.
 *
 * A call splits its work into `units` numbered 0..units−1. Every pooled kernel function takes
 * `(...args, scratch, first, last)`: it does units [first, last) and may use `scratchBytes` of
 * private scratch memory at `scratch` (each thread gets its own slice of the caller's buffer).
 * The calling thread takes units too; units are handed out one at a time through an atomic
 * counter, so a unit runs on exactly one thread and writes what only it writes: results do not
 * depend on the number of threads.
 *
 * Synchronisation is by `Atomics.wait`/`notify` on a small control buffer; the calling thread
 * blocks until every worker has finished the call (kernels are synchronous, as tfjs ops are).
 * Workers are unref'd: an idle pool never keeps a process alive.
 */
import { Worker } from 'node:worker_threads';
import { isSharedMemory, wasmApi, type WasmMemory } from './wasm-api';

/** A kernel function exported by the module: any numbers in, nothing out. */
type KernelFunction = (...args: number[]) => void;

/** Control words (Int32Array indices). */
const GENERATION = 0; // bumped for every call; −1 = shut down
const NEXT_UNIT = 1;
const FINISHED = 2; // workers done with the current call
const UNITS = 3;
const FUNCTION = 4;
const ARGUMENTS = 5;
const SCRATCH = 6;
const SCRATCH_BYTES = 7;
const READY = 8; // workers started
const FAILED = 9; // a worker could not start, or a kernel threw in one
const CONTROL_WORDS = 16;
const MAX_ARGUMENTS = 32;

/** Source of one worker (CommonJS, run with `eval`). */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, argumentsBuffer, functions, index } = workerData;
const words = new Int32Array(control);
const args = new Float64Array(argumentsBuffer);
let kernels;
try {
  const exportsOf = new WebAssembly.Instance(module, { env: { memory } }).exports;
  kernels = functions.map((name) => exportsOf[name]);
} catch (error) {
  Atomics.store(words, ${FAILED}, 1);
  Atomics.notify(words, ${READY});
  throw error;
}
Atomics.add(words, ${READY}, 1);
Atomics.notify(words, ${READY});
let seen = 0;
for (;;) {
  Atomics.wait(words, ${GENERATION}, seen);
  const generation = Atomics.load(words, ${GENERATION});
  if (generation < 0) break;
  if (generation === seen) continue;
  seen = generation;
  const kernel = kernels[words[${FUNCTION}]];
  const call = Array.from(args.subarray(0, words[${ARGUMENTS}]));
  const scratch = words[${SCRATCH}] + index * words[${SCRATCH_BYTES}];
  const units = words[${UNITS}];
  try {
    for (;;) {
      const unit = Atomics.add(words, ${NEXT_UNIT}, 1);
      if (unit >= units) break;
      kernel(...call, scratch, unit, unit + 1);
    }
  } catch (error) {
    Atomics.store(words, ${FAILED}, 1);
  }
  Atomics.add(words, ${FINISHED}, 1);
  Atomics.notify(words, ${FINISHED});
}
`;

/** Threads running one kernel module's functions on a shared memory. */
export interface KernelPool {
  /** Threads that take units: the caller's and the workers' (1 when the workers could not start). */
  readonly threads: number;
  /**
   * Run `name(...args, scratch, first, last)` over units 0..units−1 on every thread; returns
   * when all are done. `scratch` is the start of threads × `scratchBytes` bytes of scratch memory.
   */
  run(name: string, args: readonly number[], units: number, scratch: number, scratchBytes: number): void;
  /** Stop the workers. */
  close(): void;
}

/**
 * A pool of `threads` threads (the caller and threads − 1 workers) for `functions` of `module`
 * on `memory`, which must be shared for more than one thread. Waits up to `startTimeoutMs` for
 * the workers to start; if they do not, they are stopped and the pool runs on the caller alone.
 */
export function createKernelPool(
  module: object, memory: WasmMemory, functions: readonly string[], threads: number, startTimeoutMs = 10_000,
): KernelPool {
  if (!wasmApi) throw new Error('kernel pool: WebAssembly is unavailable');
  const local = new wasmApi.Instance(module, { env: { memory } }).exports as Record<string, KernelFunction>;
  const kernels = functions.map((name) => {
    const kernel = local[name];
    if (typeof kernel !== 'function') throw new Error(`kernel pool: the module exports no function ${name}`);
    return kernel;
  });
  const shared = isSharedMemory(memory);
  const control = shared ? new SharedArrayBuffer(CONTROL_WORDS * 4) : new ArrayBuffer(CONTROL_WORDS * 4);
  const argumentsBuffer = shared ? new SharedArrayBuffer(MAX_ARGUMENTS * 8) : new ArrayBuffer(MAX_ARGUMENTS * 8);
  const words = new Int32Array(control);
  const args = new Float64Array(argumentsBuffer);
  let workers: Worker[] = [];
  if (shared && threads > 1) {
    workers = Array.from({ length: threads - 1 }, (_, i) => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control, argumentsBuffer, functions: [...functions], index: i + 1 } });
      worker.unref();
      return worker;
    });
    const deadline = Date.now() + startTimeoutMs;
    let ready = Atomics.load(words, READY);
    while (ready < workers.length && Atomics.load(words, FAILED) === 0 && Date.now() < deadline) {
      Atomics.wait(words, READY, ready, 50);
      ready = Atomics.load(words, READY);
    }
    if (ready < workers.length || Atomics.load(words, FAILED) !== 0) {
      Atomics.store(words, GENERATION, -1);
      Atomics.notify(words, GENERATION);
      for (const worker of workers) void worker.terminate();
      workers = [];
    }
  }
  const workerCount = workers.length;

  return {
    threads: workerCount + 1,
    run(name, callArgs, units, scratch, scratchBytes) {
      const index = functions.indexOf(name);
      const kernel = kernels[index];
      if (!kernel) throw new Error(`kernel pool: unknown function ${name}`);
      if (callArgs.length > MAX_ARGUMENTS) throw new Error(`kernel pool: at most ${MAX_ARGUMENTS} arguments`);
      if (workerCount === 0 || units < 2) {
        kernel(...callArgs, scratch, 0, units);
        return;
      }
      args.set(callArgs);
      words[FUNCTION] = index;
      words[ARGUMENTS] = callArgs.length;
      words[UNITS] = units;
      words[SCRATCH] = scratch;
      words[SCRATCH_BYTES] = scratchBytes;
      Atomics.store(words, NEXT_UNIT, 0);
      Atomics.store(words, FINISHED, 0);
      Atomics.add(words, GENERATION, 1);
      Atomics.notify(words, GENERATION);
      for (;;) {
        const unit = Atomics.add(words, NEXT_UNIT, 1);
        if (unit >= units) break;
        kernel(...callArgs, scratch, unit, unit + 1);
      }
      let finished = Atomics.load(words, FINISHED);
      while (finished < workerCount) {
        Atomics.wait(words, FINISHED, finished);
        finished = Atomics.load(words, FINISHED);
      }
      if (Atomics.load(words, FAILED) !== 0) throw new Error(`kernel pool: ${name} failed in a worker thread`);
    },
    close() {
      Atomics.store(words, GENERATION, -1);
      Atomics.notify(words, GENERATION);
      workers = [];
    },
  };
}
