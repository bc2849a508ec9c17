/**
 * Small real components for the trainer's tests: a file-backed tabular policy (so checkpoints
 * survive a new process-like instance), a sampler that really samples from a policy, a letter
 * tokenizer and a compact OREAL objective written from oreal-method.md.
 */
import { writeJsonAtomic } from '@oreal-ts/core/node';
import {
  SeededRng,
  type DecodingSession,
  type Objective,
  type ObjectiveRow,
  type PerTokenLoss,
  type PerTokenValues,
  type Problem,
  type RandomSource,
  type Rollout,
  type SampleOptions,
  type Sampler,
  type ScoredGroup,
  type SelectedRollout,
  type TokenBatch,
  type Tokenizer,
  type TrainablePolicy,
} from '@oreal-ts/core';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/** Context-free softmax policy trained by SGD with momentum; save/load go through real files. */
export interface FileTabularPolicy extends TrainablePolicy {
  logits(): number[];
  probabilities(): number[];
  readonly events: string[];
}

export function createFileTabularPolicy(options: {
  vocabSize: number;
  learningRate?: number;
  momentum?: number;
  id?: string;
  events?: string[];
}): FileTabularPolicy {
  const theta = new Float64Array(options.vocabSize);
  const velocity = new Float64Array(options.vocabSize);
  const grad = new Float64Array(options.vocabSize);
  const learningRate = options.learningRate ?? 0.5;
  const momentum = options.momentum ?? 0.5;
  const events = options.events ?? [];
  const name = options.id ?? 'policy';
  let optimizerSteps = 0;
  const logSoftmax = (): number[] => {
    const max = Math.max(...theta);
    const lse = max + Math.log(theta.reduce((s, v) => s + Math.exp(v - max), 0));
    return Array.from(theta, (v) => v - lse);
  };
  const logProbsOf = (batch: TokenBatch): PerTokenValues => {
    const lp = logSoftmax();
    return batch.responseIds.map((row) => row.map((id) => lp[id] as number));
  };
  return {
    specificationVersion: 'v1',
    id: `test/file-tabular-${name}`,
    vocabSize: options.vocabSize,
    parameterCount: options.vocabSize,
    maxSequenceLength: 4096,
    events,
    logits: () => Array.from(theta),
    probabilities: () => logSoftmax().map(Math.exp),
    async logProbs(batch) {
      events.push(`${name}.logProbs`);
      return logProbsOf(batch);
    },
    async startDecoding(promptIds): Promise<DecodingSession> {
      const row = () => Float32Array.from(theta);
      return {
        batchSize: promptIds.length,
        prefill: async () => promptIds.map(row),
        step: async () => promptIds.map(row),
        dispose: () => undefined,
      };
    },
    async accumulateGradients(batch: TokenBatch, loss: PerTokenLoss) {
      events.push(`${name}.accumulateGradients`);
      const result = loss(logProbsOf(batch));
      const p = logSoftmax().map(Math.exp);
      batch.responseIds.forEach((row, r) =>
        row.forEach((id, t) => {
          const g = result.gradient[r]?.[t] ?? 0;
          for (let k = 0; k < grad.length; k++)
            grad[k] = (grad[k] as number) + g * ((k === id ? 1 : 0) - (p[k] as number));
        }),
      );
      return result;
    },
    async applyGradients() {
      events.push(`${name}.applyGradients`);
      const gradNorm = Math.sqrt(grad.reduce((s, g) => s + g * g, 0));
      for (let k = 0; k < theta.length; k++) {
        velocity[k] = momentum * (velocity[k] as number) + (grad[k] as number);
        theta[k] = (theta[k] as number) - learningRate * (velocity[k] as number);
      }
      grad.fill(0);
      optimizerSteps++;
      return { step: optimizerSteps, gradNorm, clipped: false, learningRate };
    },
    clearGradients() {
      events.push(`${name}.clearGradients`);
      grad.fill(0);
    },
    async save(dir) {
      events.push(`${name}.save`);
      await writeJsonAtomic(join(dir, 'tabular.json'), {
        theta: Array.from(theta),
        velocity: Array.from(velocity),
        optimizerSteps,
      });
    },
    async load(dir) {
      events.push(`${name}.load`);
      const state = JSON.parse(await readFile(join(dir, 'tabular.json'), 'utf8')) as {
        theta: number[];
        velocity: number[];
        optimizerSteps: number;
      };
      if (!Array.isArray(state.theta) || state.theta.length !== theta.length)
        throw new Error('tabular.json: theta has the wrong length');
      theta.set(state.theta);
      velocity.set(state.velocity);
      optimizerSteps = state.optimizerSteps;
    },
    dispose() {},
  };
}

/** Tokenizer over single letters; id 0 is end-of-sequence (decoded as ''). */
export function createLetterTokenizer(letters = 'abcd'): Tokenizer {
  return {
    specificationVersion: 'v1',
    id: 'test/letter-tokenizer',
    vocabSize: letters.length + 1,
    eosTokenId: 0,
    encode: (text) =>
      Array.from(text, (c) => {
        const index = letters.indexOf(c);
        if (index < 0) throw new Error(`letter tokenizer: unknown character ${JSON.stringify(c)}`);
        return index + 1;
      }),
    decode: (ids) => ids.map((id) => (id === 0 ? '' : (letters[id - 1] ?? '?'))).join(''),
  };
}

/** Samples from `policy` token by token (temperature, top-p, top-k, stop ids), seeded by `options.seed`. */
export function createPolicySampler(
  policy: TrainablePolicy,
  tokenizer: Tokenizer,
  events?: string[],
): Sampler {
  return {
    specificationVersion: 'v1',
    id: 'test/policy-sampler',
    async sample(problems: readonly Problem[], options: SampleOptions) {
      events?.push('sampler.sample');
      const rng = new SeededRng(options.seed ?? 0);
      const stop = new Set(options.stopTokenIds ?? []);
      const groups = [];
      for (const problem of problems) {
        const promptIds = tokenizer.encode(problem.question);
        const rollouts: Rollout[] = [];
        for (let sampleIndex = 0; sampleIndex < options.n; sampleIndex++) {
          const session = await policy.startDecoding([promptIds]);
          let logits = (await session.prefill())[0] as Float32Array;
          const tokenIds: number[] = [];
          const logProbs: number[] = [];
          let finishReason: Rollout['finishReason'] = 'length';
          while (tokenIds.length < options.maxNewTokens) {
            const { id, logProb } = pickToken(logits, options, rng);
            tokenIds.push(id);
            logProbs.push(logProb);
            if (stop.has(id)) {
              finishReason = 'stop';
              break;
            }
            logits = (await session.step([id]))[0] as Float32Array;
          }
          session.dispose();
          rollouts.push({
            problemId: problem.id,
            sampleIndex,
            prompt: problem.question,
            promptTokenIds: promptIds,
            text: tokenizer.decode(tokenIds),
            tokenIds,
            logProbs,
            finishReason,
          });
        }
        groups.push({ problem, rollouts });
      }
      return groups;
    },
  };
}

function pickToken(
  logits: Float32Array,
  options: SampleOptions,
  rng: RandomSource,
): { id: number; logProb: number } {
  const values = Array.from(logits);
  if (options.temperature === 0) {
    let best = 0;
    values.forEach((v, i) => {
      if (v > (values[best] as number)) best = i;
    });
    return { id: best, logProb: 0 };
  }
  const scaled = values.map((v) => v / options.temperature);
  const max = Math.max(...scaled);
  const weights = scaled.map((v) => Math.exp(v - max));
  const total = weights.reduce((s, w) => s + w, 0);
  let candidates = weights.map((w, id) => ({ id, p: w / total })).sort((a, b) => b.p - a.p || a.id - b.id);
  if (options.topK) candidates = candidates.slice(0, options.topK);
  if (options.topP < 1) {
    const kept = [];
    let mass = 0;
    for (const c of candidates) {
      kept.push(c);
      mass += c.p;
      if (mass >= options.topP) break;
    }
    candidates = kept;
  }
  const mass = candidates.reduce((s, c) => s + c.p, 0);
  let u = rng.next() * mass;
  for (const c of candidates) {
    u -= c.p;
    if (u <= 0) return { id: c.id, logProb: Math.log(c.p / mass) };
  }
  const last = candidates[candidates.length - 1] as { id: number; p: number };
  return { id: last.id, logProb: Math.log(last.p / mass) };
}

/**
 * OREAL's objective as written in oreal-method.md, compactly: leave-one-out advantages over all K,
 * drop all-same groups, keep one random correct and one random incorrect rollout per group; loss
 * = BC on positives (×A) / N₊ + λ₋·|A|·exp(ℓ−sg ℓ)·ω⁻ / N₋ + β k3-KL / N_all.
 */
export function createMiniOrealObjective(
  options: { negativeWeight?: number; klWeight?: number; events?: string[] } = {},
): Objective {
  const negativeWeight = options.negativeWeight ?? 0.5;
  const klWeight = options.klWeight ?? 0.01;
  return {
    specificationVersion: 'v1',
    id: 'test/mini-oreal',
    requires: { referenceLogProbs: true, oldLogProbs: false, tokenWeights: true },
    select(groups: readonly ScoredGroup[], rng: RandomSource): SelectedRollout[] {
      options.events?.push('objective.select');
      const out: SelectedRollout[] = [];
      groups.forEach((group, groupIndex) => {
        const k = group.rollouts.length;
        const total = group.rollouts.reduce((s, r) => s + r.reward, 0);
        const scored = group.rollouts.map((r, rolloutIndex) => ({
          r,
          rolloutIndex,
          advantage: r.reward - (total - r.reward) / (k - 1),
        }));
        const positives = scored.filter((s) => s.r.verdict?.correct === true);
        const negatives = scored.filter((s) => s.r.verdict?.correct !== true);
        if (positives.length === 0 || negatives.length === 0) return;
        for (const pick of [
          positives[Math.floor(rng.next() * positives.length)],
          negatives[Math.floor(rng.next() * negatives.length)],
        ]) {
          if (!pick) continue;
          out.push({
            groupIndex,
            rolloutIndex: pick.rolloutIndex,
            rollout: pick.r.rollout,
            reward: pick.r.reward,
            advantage: pick.advantage,
          });
        }
      });
      return out;
    },
    compute(rows: readonly ObjectiveRow[]) {
      options.events?.push('objective.compute');
      const positiveTokens =
        rows.filter((r) => r.advantage > 0).reduce((s, r) => s + r.logProbs.length, 0) || 1;
      const negativeTokens =
        rows.filter((r) => r.advantage <= 0).reduce((s, r) => s + r.logProbs.length, 0) || 1;
      const allTokens = rows.reduce((s, r) => s + r.logProbs.length, 0) || 1;
      let positive = 0;
      let negative = 0;
      let kl = 0;
      const gradient = rows.map((row) =>
        row.logProbs.map((l, t) => {
          const w = row.tokenWeights?.[t] ?? 1;
          let g = 0;
          if (row.advantage > 0) {
            positive += (row.advantage * w * -l) / positiveTokens;
            g += (-row.advantage * w) / positiveTokens;
          } else {
            negative += (negativeWeight * Math.abs(row.advantage) * w) / negativeTokens;
            g += (negativeWeight * Math.abs(row.advantage) * w) / negativeTokens;
          }
          const d = (row.referenceLogProbs?.[t] ?? l) - l;
          kl += (klWeight * (Math.exp(d) - d - 1)) / allTokens;
          g += (klWeight * (1 - Math.exp(d))) / allTokens;
          return g;
        }),
      );
      return { loss: positive + negative + kl, gradient, parts: { positive, negative, kl } };
    },
  };
}

/** Problems whose question is a single letter (the bandit's prompts). */
export function letterProblems(count: number, answer = 'a'): Problem[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `p${i}`,
    question: 'abcd'[i % 4] as string,
    answer,
  }));
}

/** Returns `tempDir()`, which makes a fresh temporary folder; every folder it made is removed after each test. */
export function temporaryDirs(prefix: string): () => Promise<string> {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}
