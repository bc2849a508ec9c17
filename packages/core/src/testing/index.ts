/**
 * Call-recording fakes of every oreal-ts role, for tests of the packages that consume them.
 * They are small but real: the tabular policy trains, the fake verifier grades by `\boxed{}`.
 */
import type { PerTokenLoss, PerTokenValues, TokenBatch, TrainablePolicy, DecodingSession } from '../contracts/model';
import type { Objective, ObjectiveRow, ScoredGroup, SelectedRollout } from '../contracts/objective';
import type { Problem } from '../contracts/problem';
import type { Rollout, RolloutGroup } from '../contracts/rollout';
import type { SampleOptions, Sampler } from '../contracts/sampler';
import type { RewardModelStepReport, TokenRewardModel } from '../contracts/token-reward-model';
import type { Tokenizer } from '../contracts/tokenizer';
import type { Verdict } from '../contracts/verdict';
import type { Verifier, VerifierResponse } from '../contracts/verifier';
import { responseFinishReason, responseText } from '../response';
import { SeededRng } from '../rng';
import { CheckpointError } from '../errors';

/** A recorded call: method name and arguments. */
export interface RecordedCall {
  readonly method: string;
  readonly args: readonly unknown[];
}

/** Anything with a `calls` log. */
export interface Recording {
  readonly calls: RecordedCall[];
}

/** Character tokenizer over code points 1..127; id 0 is end-of-sequence. */
export function createFakeTokenizer(): Tokenizer & Recording {
  const calls: RecordedCall[] = [];
  return {
    specificationVersion: 'v1',
    id: 'oreal-ts/fake-tokenizer',
    vocabSize: 128,
    eosTokenId: 0,
    calls,
    encode(text) {
      calls.push({ method: 'encode', args: [text] });
      return Array.from(text, (c) => Math.min(c.charCodeAt(0), 127) || 32);
    },
    decode(ids, options) {
      calls.push({ method: 'decode', args: [ids, options] });
      return ids
        .filter((id) => !(options?.skipSpecialTokens && id === 0))
        .map((id) => (id === 0 ? '' : String.fromCharCode(id)))
        .join('');
    },
  };
}

/** The answer inside the last `\boxed{...}` (no nesting), or null. */
function lastBoxed(text: string): string | null {
  const matches = [...text.matchAll(/\\boxed\{([^{}]*)\}/g)];
  const last = matches[matches.length - 1];
  return last ? (last[1] ?? '').trim() : null;
}

/** Verifier that compares the last `\boxed{…}` string with the gold answer (or uses `decide`). */
export function createFakeVerifier(
  options: { decide?: (problem: Problem, text: string) => boolean } = {},
): Verifier & Recording {
  const calls: RecordedCall[] = [];
  return {
    specificationVersion: 'v1',
    id: 'oreal-ts/fake-verifier',
    calls,
    async verify(problem: Problem, response: string | VerifierResponse): Promise<Verdict> {
      calls.push({ method: 'verify', args: [problem, response] });
      const text = responseText(response);
      const predicted = lastBoxed(text);
      if (responseFinishReason(response) === 'length') {
        return { correct: false, reason: 'truncated', gold: problem.answer, predicted };
      }
      if (options.decide) {
        const correct = options.decide(problem, text);
        return { correct, reason: correct ? 'string-equal' : 'mismatch', gold: problem.answer, predicted };
      }
      if (predicted === null) return { correct: false, reason: 'no-answer', gold: problem.answer, predicted };
      const correct = predicted === problem.answer.trim();
      return { correct, reason: correct ? 'string-equal' : 'mismatch', gold: problem.answer, predicted };
    },
  };
}

/** Sampler that returns `respond(problem, sampleIndex)` texts, tokenised by the fake tokenizer. */
export function createFakeSampler(respond: (problem: Problem, sampleIndex: number) => string): Sampler & Recording {
  const calls: RecordedCall[] = [];
  const tokenizer = createFakeTokenizer();
  return {
    specificationVersion: 'v1',
    id: 'oreal-ts/fake-sampler',
    calls,
    async sample(problems: readonly Problem[], options: SampleOptions): Promise<RolloutGroup[]> {
      calls.push({ method: 'sample', args: [problems, options] });
      return problems.map((problem) => ({
        problem,
        rollouts: Array.from({ length: options.n }, (_, sampleIndex): Rollout => {
          const text = respond(problem, sampleIndex);
          const tokenIds = tokenizer.encode(text).slice(0, options.maxNewTokens);
          return {
            problemId: problem.id,
            sampleIndex,
            prompt: problem.question,
            promptTokenIds: tokenizer.encode(problem.question),
            text: tokenizer.decode(tokenIds),
            tokenIds,
            logProbs: tokenIds.map(() => Math.log(1 / tokenizer.vocabSize)),
            finishReason: tokenIds.length < tokenizer.encode(text).length ? 'length' : 'stop',
          };
        }),
      }));
    },
  };
}

/** Options of `createTabularPolicy`. */
export interface TabularPolicyOptions {
  readonly vocabSize: number;
  /** Plain SGD step size. Default 1. */
  readonly learningRate?: number;
  /** Initial logits; default all zero (uniform). */
  readonly initialLogits?: readonly number[];
}

/** A context-free softmax policy π(y) = softmax(θ)[y], trained by plain SGD: a real, tiny TrainablePolicy. */
export interface TabularPolicy extends TrainablePolicy, Recording {
  /** The logits θ (a copy). */
  logits(): number[];
  /** The probabilities softmax(θ). */
  probabilities(): number[];
}

/** Create a `TabularPolicy` (see its doc). `save(dir)` writes `dir/tabular-policy.json`; `load(dir)` reads it. */
export function createTabularPolicy(options: TabularPolicyOptions): TabularPolicy {
  const calls: RecordedCall[] = [];
  const theta = Float64Array.from(options.initialLogits ?? new Array(options.vocabSize).fill(0));
  const grad = new Float64Array(options.vocabSize);
  let step = 0;
  const logSoftmax = (): Float64Array => {
    const max = Math.max(...theta);
    let sum = 0;
    for (const v of theta) sum += Math.exp(v - max);
    const lse = max + Math.log(sum);
    return theta.map((v) => v - lse);
  };
  const logProbsOf = (batch: TokenBatch): PerTokenValues => {
    const lp = logSoftmax();
    return batch.responseIds.map((row) => row.map((id) => lp[id] as number));
  };
  const policy: TabularPolicy = {
    specificationVersion: 'v1',
    id: 'oreal-ts/tabular-policy',
    vocabSize: options.vocabSize,
    parameterCount: options.vocabSize,
    maxSequenceLength: Number.MAX_SAFE_INTEGER,
    calls,
    logits: () => Array.from(theta),
    probabilities: () => Array.from(logSoftmax(), Math.exp),
    async logProbs(batch) {
      calls.push({ method: 'logProbs', args: [batch] });
      return logProbsOf(batch);
    },
    async startDecoding(promptIds): Promise<DecodingSession> {
      calls.push({ method: 'startDecoding', args: [promptIds] });
      const row = () => Float32Array.from(theta);
      return {
        batchSize: promptIds.length,
        prefill: async () => promptIds.map(row),
        step: async () => promptIds.map(row),
        dispose: () => undefined,
      };
    },
    async accumulateGradients(batch: TokenBatch, loss: PerTokenLoss) {
      calls.push({ method: 'accumulateGradients', args: [batch] });
      const result = loss(logProbsOf(batch));
      const p = logSoftmax().map(Math.exp);
      batch.responseIds.forEach((row, r) =>
        row.forEach((id, t) => {
          const g = result.gradient[r]?.[t] ?? 0;
          // ∂ log p(id) / ∂θ_k = 1[k = id] − p_k
          for (let k = 0; k < grad.length; k++) grad[k] = (grad[k] as number) + g * ((k === id ? 1 : 0) - (p[k] as number));
        }),
      );
      return result;
    },
    async applyGradients() {
      calls.push({ method: 'applyGradients', args: [] });
      const lr = options.learningRate ?? 1;
      const gradNorm = Math.sqrt(grad.reduce((s, g) => s + g * g, 0));
      for (let k = 0; k < theta.length; k++) theta[k] = (theta[k] as number) - lr * (grad[k] as number);
      grad.fill(0);
      step++;
      return { step, gradNorm, clipped: false, learningRate: lr };
    },
    clearGradients() {
      calls.push({ method: 'clearGradients', args: [] });
      grad.fill(0);
    },
    async save(dir) {
      calls.push({ method: 'save', args: [dir] });
      const { mkdir, writeFile } = await import('node:fs/promises');
      await mkdir(dir, { recursive: true });
      await writeFile(`${dir}/tabular-policy.json`, JSON.stringify({ theta: Array.from(theta), step }));
    },
    async load(dir) {
      calls.push({ method: 'load', args: [dir] });
      const { readFile } = await import('node:fs/promises');
      let state: { theta: number[]; step: number };
      try {
        state = JSON.parse(await readFile(`${dir}/tabular-policy.json`, 'utf8')) as { theta: number[]; step: number };
      } catch (error) {
        throw new CheckpointError(dir, `cannot read tabular-policy.json: ${(error as Error).message}`, { cause: error });
      }
      if (state.theta.length !== theta.length) throw new CheckpointError(dir, `expected ${theta.length} logits, found ${state.theta.length}`);
      theta.set(state.theta);
      step = state.step;
    },
    dispose() {
      calls.push({ method: 'dispose', args: [] });
    },
  };
  return policy;
}

/** Objective with mean-baseline advantages over all rollouts and loss −Σ A·ℓ / #rows. */
export function createFakeObjective(): Objective & Recording {
  const calls: RecordedCall[] = [];
  return {
    specificationVersion: 'v1',
    id: 'oreal-ts/fake-objective',
    requires: { referenceLogProbs: false, oldLogProbs: false, tokenWeights: false },
    calls,
    select(groups: readonly ScoredGroup[]): SelectedRollout[] {
      calls.push({ method: 'select', args: [groups] });
      return groups.flatMap((group, groupIndex) => {
        const mean = group.rollouts.reduce((s, r) => s + r.reward, 0) / Math.max(1, group.rollouts.length);
        return group.rollouts.map((r, rolloutIndex) => ({
          groupIndex,
          rolloutIndex,
          rollout: r.rollout,
          reward: r.reward,
          advantage: r.reward - mean,
        }));
      });
    },
    compute(rows: readonly ObjectiveRow[]) {
      calls.push({ method: 'compute', args: [rows] });
      const n = Math.max(1, rows.length);
      let loss = 0;
      const gradient = rows.map((row) =>
        row.logProbs.map((lp) => {
          loss += (-row.advantage * lp) / n;
          return -row.advantage / n;
        }),
      );
      return { loss, gradient, parts: { rows: rows.length } };
    },
  };
}

/** Token reward model whose weights are all 1 and whose training only records calls. */
export function createFakeTokenRewardModel(): TokenRewardModel & Recording {
  const calls: RecordedCall[] = [];
  const ones = (batch: TokenBatch) => batch.responseIds.map((row) => row.map(() => 1));
  return {
    specificationVersion: 'v1',
    id: 'oreal-ts/fake-token-reward-model',
    calls,
    async scores(batch) {
      calls.push({ method: 'scores', args: [batch] });
      return batch.responseIds.map((row) => row.map(() => 0));
    },
    async tokenWeights(batch, positive) {
      calls.push({ method: 'tokenWeights', args: [batch, positive] });
      return ones(batch);
    },
    async train(batch, positive): Promise<RewardModelStepReport> {
      calls.push({ method: 'train', args: [batch, positive] });
      return { loss: Math.log(2), accuracy: 0.5, gradNorm: 0 };
    },
    async save(dir) {
      calls.push({ method: 'save', args: [dir] });
    },
    async load(dir) {
      calls.push({ method: 'load', args: [dir] });
    },
    dispose() {
      calls.push({ method: 'dispose', args: [] });
    },
  };
}

/** A seeded RNG for tests. */
export function testRng(seed = 1234): SeededRng {
  return new SeededRng(seed);
}
