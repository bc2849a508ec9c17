import type { PromptTemplate, Sampler, Verifier } from '@oreal-ts/core';
import type { AnswerEquivalence } from '../metrics/majority-vote';

/** The verifier used for grading plus the equivalence used for maj@k, and how to release them. */
export interface Verification {
  readonly verifier: Verifier;
  readonly equivalence: AnswerEquivalence;
  close(): Promise<void>;
}

/**
 * The verifier's own equality of two extracted answers, as `createMathVerifier` decides it:
 * `compareAnswers` with the built-in parser, and — only when that gives `parse-failed` — again with
 * the lazily loaded compute-engine backend (its own evaluation time limit `timeoutMs`).
 */
export async function createAnswerEquivalence(timeoutMs: number): Promise<AnswerEquivalence> {
  const { compareAnswers, loadComputeEngine } = await import('@oreal-ts/math-verifier');
  let backend: ReturnType<typeof loadComputeEngine> | undefined;
  return async (representative, candidate) => {
    const comparison = compareAnswers(representative, candidate);
    if (comparison.reason !== 'parse-failed') return comparison.equal;
    backend ??= loadComputeEngine({ timeLimitMs: timeoutMs });
    const symbolicBackend = await backend;
    return symbolicBackend ? compareAnswers(representative, candidate, { symbolicBackend }).equal : false;
  };
}

/**
 * The math verifier: a worker-thread pool with a hard per-response time limit when `threads > 0`
 * (recommended: a pathological comparison cannot stall the run), else in-process. maj@k clusters
 * answers with `createAnswerEquivalence`, the verifier's own notion of equality (in-process).
 */
export async function createVerification(options: { threads: number; timeoutMs: number }): Promise<Verification> {
  const { createMathVerifier } = await import('@oreal-ts/math-verifier');
  const equivalence = await createAnswerEquivalence(options.timeoutMs);
  if (options.threads > 0) {
    const { createVerifierPool } = await import('@oreal-ts/math-verifier/pool');
    const pool = createVerifierPool({ threads: options.threads, timeoutMs: options.timeoutMs });
    return { verifier: pool, equivalence, close: async () => void (await pool.close()) };
  }
  return { verifier: createMathVerifier({ timeoutMs: options.timeoutMs }), equivalence, close: async () => undefined };
}

/** Settings of an OpenAI-compatible sampler built from flags. */
export interface EndpointSamplerOptions {
  readonly baseUrls: readonly string[];
  readonly model: string;
  readonly api: 'chat' | 'completions';
  readonly prompt: PromptTemplate;
  readonly concurrencyPerUrl: number;
  readonly maxRetries: number;
  readonly timeoutMs: number;
  readonly fetch?: typeof globalThis.fetch;
  readonly onRetry?: (notice: unknown) => void;
}

/** A sampler over OpenAI-compatible endpoints (`@oreal-ts/sampler`). */
export async function createEndpointSampler(options: EndpointSamplerOptions): Promise<Sampler> {
  const { createOpenAISampler } = await import('@oreal-ts/sampler');
  return createOpenAISampler({
    baseUrls: options.baseUrls,
    model: options.model,
    mode: options.api,
    prompt: options.prompt,
    concurrencyPerUrl: options.concurrencyPerUrl,
    maxRetries: options.maxRetries,
    timeoutMs: options.timeoutMs,
    // Our own prompt renders the stop strings; the server cuts them, the sampler restores them.
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
}

/** A sampler over a local tensor-model checkpoint (loads tfjs only when called). */
export async function createCheckpointSampler(options: { dir: string; prompt: PromptTemplate; batchSize: number }): Promise<{ sampler: Sampler; close(): void }> {
  const tensorModel = await import('@oreal-ts/tensor-model');
  const { createLocalSampler } = await import('@oreal-ts/sampler');
  await tensorModel.initBackend();
  const policy = await tensorModel.loadTransformerPolicy(options.dir);
  const tokenizer = await tensorModel.loadTokenizer(options.dir);
  const sampler = createLocalSampler({ policy, tokenizer, prompt: options.prompt, batchSize: options.batchSize });
  return { sampler, close: () => policy.dispose?.() };
}
