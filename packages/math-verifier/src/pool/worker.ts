/**
 * Worker-thread entry of the verifier pool: runs the pure verifier on one task. Loaded by piscina
 * from the built `dist/pool/worker.js` (or a bundle of this file when running from source).
 */
import type { MessagePort } from 'node:worker_threads';
import type { Problem, Verdict, VerifierResponse } from '@oreal-ts/core';
import { createMathVerifier, preloadComputeEngine, type MathVerifier, type MathVerifierOptions } from '../create-math-verifier';

/** One unit of work sent to a worker. */
export interface VerifyTask {
  readonly problem: Problem;
  readonly response: string | VerifierResponse;
  readonly options: MathVerifierOptions;
  /** JSON of `options`, the cache key of the worker's verifier. */
  readonly optionsKey: string;
  /** Told `'started'` as soon as the worker takes the task, so the time limit excludes worker start-up. */
  readonly startedPort?: MessagePort;
}

const verifiers = new Map<string, MathVerifier>();

// Load the CAS as the worker starts; the 'started' signal waits for it, so its import (≈0.3–2 s)
// counts as worker start-up, not against a pair's time limit.
const computeEngineReady = preloadComputeEngine();

/** Verify one pair inside the worker. */
export default async function verifyTask(task: VerifyTask): Promise<Verdict> {
  if (task.options.useComputeEngine ?? true) await computeEngineReady;
  task.startedPort?.postMessage('started');
  task.startedPort?.close();
  let verifier = verifiers.get(task.optionsKey);
  if (!verifier) {
    verifier = createMathVerifier(task.options);
    verifiers.set(task.optionsKey, verifier);
  }
  return verifier.verify(task.problem, task.response);
}
