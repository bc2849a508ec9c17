import type { RandomSource } from '@oreal-ts/core';

/** How one token is drawn from a logits row. */
export interface TokenSamplingSettings {
  /** Softmax temperature; 0 = greedy (argmax). */
  readonly temperature: number;
  /** Nucleus mass in (0, 1]; 1 disables it. */
  readonly topP: number;
  /** Keep the k largest logits; 0 or undefined disables it. */
  readonly topK?: number;
}

/** A drawn token and its log-probability under the raw (temperature 1, unfiltered) distribution. */
export interface SampledToken {
  readonly tokenId: number;
  /** `log softmax(logits)[tokenId]` — the unmodified model distribution, see `createLocalSampler`. */
  readonly logProb: number;
}

/**
 * `log softmax(z)_i = z_i − log Σ_j exp z_j`, computed stably (max subtracted). `−∞` entries stay `−∞`.
 * // logits: [V] → [V]
 */
export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if ((logits[i] as number) > max) max = logits[i] as number;
  const out = new Float64Array(logits.length);
  if (max === -Infinity) return out.fill(-Infinity);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] as number) - max);
  const logSum = max + Math.log(sum);
  for (let i = 0; i < logits.length; i++) out[i] = (logits[i] as number) - logSum;
  return out;
}

/** Index of the largest logit; ties go to the lowest index (deterministic greedy decoding). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i] as number;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/** Token ids ordered by descending logit, ties by ascending id. // [V] → [V] */
function descendingOrder(logits: ArrayLike<number>): number[] {
  const order = Array.from({ length: logits.length }, (_, i) => i);
  order.sort((a, b) => (logits[b] as number) - (logits[a] as number) || a - b);
  return order;
}

/**
 * Top-k filter: keep exactly the `k` largest logits (ties broken towards lower ids), set the rest to
 * `−∞`. `k ≤ 0` or `k ≥ V` returns a copy unchanged. // [V] → [V]
 */
export function topKFilter(logits: ArrayLike<number>, k: number): Float64Array {
  const out = Float64Array.from(logits as ArrayLike<number>);
  if (k <= 0 || k >= logits.length) return out;
  const order = descendingOrder(logits);
  for (let rank = k; rank < order.length; rank++) out[order[rank] as number] = -Infinity;
  return out;
}

/**
 * Nucleus (top-p) filter (Holtzman et al. 2020): keep the smallest set of most likely tokens whose
 * probability mass reaches `p` (the token that crosses `p` is kept, so at least one token always
 * survives), set the rest to `−∞`. `p ≥ 1` returns a copy unchanged. // [V] → [V]
 */
export function topPFilter(logits: ArrayLike<number>, p: number): Float64Array {
  const out = Float64Array.from(logits as ArrayLike<number>);
  if (p >= 1) return out;
  const logProbs = logSoftmax(logits);
  const order = descendingOrder(logits);
  let mass = 0;
  let rank = 0;
  for (; rank < order.length; rank++) {
    mass += Math.exp(logProbs[order[rank] as number] as number);
    if (mass >= p) break;
  }
  for (let r = rank + 1; r < order.length; r++) out[order[r] as number] = -Infinity;
  return out;
}

/** Draw an index with probability ∝ exp(z_i) using one uniform number from `rng`. // [V] → scalar */
export function sampleCategorical(logits: ArrayLike<number>, rng: RandomSource): number {
  const logProbs = logSoftmax(logits);
  const u = rng.next();
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < logProbs.length; i++) {
    const lp = logProbs[i] as number;
    if (lp === -Infinity) continue;
    cumulative += Math.exp(lp);
    last = i;
    if (u < cumulative) return i;
  }
  return last; // rounding: cumulative summed to slightly below 1
}

/**
 * Draw the next token from one row of logits: temperature → top-k → top-p → categorical draw (the
 * order Hugging Face `generate` and vLLM use); temperature 0 is greedy argmax and draws no random
 * number. The reported log-prob is always the raw model's `log softmax(logits)[token]` at
 * temperature 1 without filtering: OREAL's objective and KL terms use `log π_θ`, not the sampling
 * distribution. // logits: [V]
 */
export function sampleToken(logits: ArrayLike<number>, settings: TokenSamplingSettings, rng: RandomSource): SampledToken {
  let tokenId: number;
  if (settings.temperature === 0) {
    tokenId = argmax(logits);
  } else {
    let z: Float64Array = Float64Array.from(logits as ArrayLike<number>, (v) => v / settings.temperature);
    if (settings.topK !== undefined && settings.topK > 0) z = topKFilter(z, settings.topK);
    if (settings.topP < 1) z = topPFilter(z, settings.topP);
    tokenId = sampleCategorical(z, rng);
  }
  return { tokenId, logProb: logProbAt(logits, tokenId) };
}

/** `log softmax(logits)[index]` without allocating the whole row. */
export function logProbAt(logits: ArrayLike<number>, index: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if ((logits[i] as number) > max) max = logits[i] as number;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] as number) - max);
  return (logits[index] as number) - max - Math.log(sum);
}
