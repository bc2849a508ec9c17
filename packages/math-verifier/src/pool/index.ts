/**
 * @oreal-ts/math-verifier/pool — the verifier in a worker-thread pool (piscina) with a hard
 * per-pair time limit: a comparison that runs too long is abandoned (its worker is terminated and
 * replaced) and the pair gets a `timeout` verdict. Node only.
 */
import type { Problem, Verdict, Verifier, VerifierResponse } from '@oreal-ts/core';
import { ConfigError, responseText } from '@oreal-ts/core';
import { Piscina } from 'piscina';
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { extractAnswer } from '../extract-answer';
import type { MathVerifierOptions } from '../create-math-verifier';
import { resolveWorkerFile } from './resolve-worker-file';
import type { VerifyTask } from './worker';

/** Options of `createVerifierPool`. */
export interface VerifierPoolOptions {
  /** Worker threads (default: available parallelism − 1, at least 1). */
  readonly threads?: number;
  /** Hard time limit per pair, measured from when a worker takes the pair (ms). Default 2000. */
  readonly timeoutMs?: number;
  /**
   * Extra time allowed for a worker to start (spawn + module load) before it takes a pair, e.g.
   * after a timed-out worker was replaced. Default 10000.
   */
  readonly startupAllowanceMs?: number;
  /** Options of the verifier inside each worker. */
  readonly verifier?: MathVerifierOptions;
  /** Worker script override (path or file URL); by default resolved next to this module. */
  readonly workerFile?: string | URL;
}

/** A `Verifier` backed by worker threads; call `close()` when done (tests: in `afterAll`). */
export interface VerifierPool extends Verifier {
  /** Stop every worker. Pending verifications resolve with reason `error`. */
  close(): Promise<void>;
}

/**
 * Create a pool of verifier workers. `verify` never throws: a pair over `timeoutMs` resolves with
 * reason `timeout`, a crashed worker with `error`. At most `threads` pairs run at once; the rest
 * wait in order, and their time limit starts only when a worker takes them.
 */
export function createVerifierPool(options: VerifierPoolOptions = {}): VerifierPool {
  const threads = options.threads ?? Math.max(1, availableParallelism() - 1);
  const timeoutMs = options.timeoutMs ?? 2000;
  const startupAllowanceMs = options.startupAllowanceMs ?? 10_000;
  if (!Number.isInteger(threads) || threads < 1) throw new ConfigError('pool.threads', `must be a positive integer (got ${threads})`);
  if (!(timeoutMs > 0)) throw new ConfigError('pool.timeoutMs', `must be positive (got ${timeoutMs})`);
  const filename =
    options.workerFile === undefined
      ? resolveWorkerFile(import.meta.url)
      : options.workerFile instanceof URL
        ? fileURLToPath(options.workerFile)
        : options.workerFile;
  const piscina = new Piscina<VerifyTask, Verdict>({ filename, minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });
  const verifierOptions: MathVerifierOptions = { ...(options.verifier ?? {}), timeoutMs: options.verifier?.timeoutMs ?? timeoutMs };
  const optionsKey = JSON.stringify(verifierOptions);
  let running = 0;
  let closed = false;
  const waiting: (() => void)[] = [];

  async function acquire(): Promise<void> {
    if (running < threads) {
      running++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
  function release(): void {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }

  function failure(problem: Problem, response: string | VerifierResponse, reason: 'timeout' | 'error', detail: string): Verdict {
    let predicted: string | null;
    try {
      predicted = extractAnswer(responseText(response)).answer;
    } catch {
      predicted = null;
    }
    return { correct: false, reason, gold: problem.answer, predicted, detail };
  }

  return {
    specificationVersion: 'v1',
    id: `${options.verifier?.id ?? 'oreal-ts/math-verifier'}@pool`,
    async verify(problem: Problem, response: string | VerifierResponse): Promise<Verdict> {
      if (closed) return failure(problem, response, 'error', 'verifier pool is closed');
      await acquire();
      const controller = new AbortController();
      const channel = new MessageChannel();
      let started = false;
      // Until the worker says it has started, only the start-up allowance runs.
      let timer = setTimeout(() => controller.abort(), startupAllowanceMs + timeoutMs);
      channel.port1.once('message', () => {
        started = true;
        clearTimeout(timer);
        timer = setTimeout(() => controller.abort(), timeoutMs);
      });
      try {
        const task: VerifyTask = {
          problem: { id: problem.id, question: problem.question, answer: problem.answer },
          response: typeof response === 'string' ? response : { text: response.text, ...(response.finishReason ? { finishReason: response.finishReason } : {}) },
          options: verifierOptions,
          optionsKey,
          startedPort: channel.port2,
        };
        return await piscina.run(task, { signal: controller.signal, transferList: [channel.port2] });
      } catch (error) {
        if (controller.signal.aborted) {
          return failure(problem, response, 'timeout', started ? `comparison exceeded ${timeoutMs} ms; its worker was replaced` : `no worker started within ${startupAllowanceMs + timeoutMs} ms`);
        }
        return failure(problem, response, 'error', `worker failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        clearTimeout(timer);
        channel.port1.close();
        release();
      }
    },
    async close() {
      closed = true;
      await piscina.destroy();
    },
  };
}
