/**
 * Turning ragged token rows into padded arrays, masks, positions, rotary tables and the
 * attention bias — plain JS, no tensors.
 *
 * Padding follows Hugging Face: prompts are LEFT-padded; `position_ids = cumsum(attention_mask) − 1`
 * so the first real token of every row is at position 0 whatever its padding.
 */
import { InvalidArgumentError } from '@oreal-ts/core';

/** Additive attention bias for disallowed (future or padding) keys. Finite, so a fully masked row stays finite. */
export const MASKED = -1e9;

/** Rows packed into a [B, T] grid. */
export interface PackedRows {
  readonly batchSize: number;
  /** T */
  readonly length: number;
  /** [B·T] token ids (0 at padding). */
  readonly ids: Int32Array;
  /** [B·T] 1 for real tokens, 0 for padding. */
  readonly mask: Uint8Array;
  /** [B·T] position ids: cumsum(mask) − 1, 0 at padding. */
  readonly positions: Int32Array;
}

/** Check every id is an integer in [0, vocabSize). */
export function checkIds(rows: readonly (readonly number[])[], vocabSize: number, argument: string): void {
  rows.forEach((row, r) => {
    row.forEach((id, t) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new InvalidArgumentError(argument, `row ${r}, token ${t}: id ${id} is not an integer in [0, ${vocabSize})`);
      }
    });
  });
}

/** Position ids from a mask: cumsum(mask) − 1 per row (computed in JS; tf.cumsum is never used). */
export function positionsFromMask(mask: Uint8Array, batchSize: number, length: number): Int32Array {
  const positions = new Int32Array(batchSize * length);
  for (let b = 0; b < batchSize; b++) {
    let count = 0;
    for (let t = 0; t < length; t++) {
      const i = b * length + t;
      if (mask[i]) positions[i] = count++;
    }
  }
  return positions;
}

/** Left-pad rows to the longest one: [pad …, tokens]. */
export function leftPad(rows: readonly (readonly number[])[]): PackedRows {
  const batchSize = rows.length;
  const length = Math.max(0, ...rows.map((row) => row.length));
  const ids = new Int32Array(batchSize * length);
  const mask = new Uint8Array(batchSize * length);
  rows.forEach((row, b) => {
    const offset = b * length + (length - row.length);
    row.forEach((id, t) => {
      ids[offset + t] = id;
      mask[offset + t] = 1;
    });
  });
  return { batchSize, length, ids, mask, positions: positionsFromMask(mask, batchSize, length) };
}

/**
 * Prompt + response rows laid out so every row's response starts at the same column:
 * `[left padding, prompt, response without its last token, right padding]`, T = P_max + R_max − 1.
 * The logits at column `P_max − 1 + t` predict response token t of every row.
 */
export interface PackedPromptResponse extends PackedRows {
  /** P_max */
  readonly promptWidth: number;
  /** R_max */
  readonly responseWidth: number;
  /** [B·R_max] response token ids (0 at padding). */
  readonly targets: Int32Array;
  /** [B·R_max] 1 where a response token exists. */
  readonly targetMask: Float32Array;
  /** Response lengths per row. */
  readonly responseLengths: readonly number[];
}

/** Pack a batch of (prompt, response) rows (see `PackedPromptResponse`). Every prompt needs ≥ 1 token. */
export function packPromptResponse(
  promptIds: readonly (readonly number[])[],
  responseIds: readonly (readonly number[])[],
): PackedPromptResponse {
  if (promptIds.length !== responseIds.length) {
    throw new InvalidArgumentError('batch', `promptIds has ${promptIds.length} rows but responseIds has ${responseIds.length}`);
  }
  promptIds.forEach((row, r) => {
    if (row.length === 0) throw new InvalidArgumentError('batch.promptIds', `row ${r} is empty; every prompt needs at least one token (e.g. BOS)`);
  });
  const batchSize = promptIds.length;
  const promptWidth = Math.max(1, ...promptIds.map((row) => row.length));
  const responseWidth = Math.max(0, ...responseIds.map((row) => row.length));
  const length = promptWidth + Math.max(0, responseWidth - 1);
  const ids = new Int32Array(batchSize * length);
  const mask = new Uint8Array(batchSize * length);
  const targets = new Int32Array(batchSize * responseWidth);
  const targetMask = new Float32Array(batchSize * responseWidth);
  for (let b = 0; b < batchSize; b++) {
    const prompt = promptIds[b] as readonly number[];
    const response = responseIds[b] as readonly number[];
    const start = b * length + (promptWidth - prompt.length);
    prompt.forEach((id, t) => {
      ids[start + t] = id;
      mask[start + t] = 1;
    });
    for (let t = 0; t < response.length; t++) {
      const id = response[t] as number;
      targets[b * responseWidth + t] = id;
      targetMask[b * responseWidth + t] = 1;
      if (t < response.length - 1) {
        ids[b * length + promptWidth + t] = id;
        mask[b * length + promptWidth + t] = 1;
      }
    }
  }
  return {
    batchSize,
    length,
    ids,
    mask,
    positions: positionsFromMask(mask, batchSize, length),
    promptWidth,
    responseWidth,
    targets,
    targetMask,
    responseLengths: responseIds.map((row) => row.length),
  };
}

/**
 * Additive attention bias [B, T, T_k] for T new queries after `past` cached keys:
 * query i (absolute column past + i) may read key j iff j ≤ past + i and key j is a real token.
 */
export function attentionBias(keyMask: Uint8Array, batchSize: number, queries: number, keys: number, past: number): Float32Array {
  const bias = new Float32Array(batchSize * queries * keys);
  for (let b = 0; b < batchSize; b++) {
    for (let i = 0; i < queries; i++) {
      const row = (b * queries + i) * keys;
      for (let j = 0; j < keys; j++) {
        if (j > past + i || !keyMask[b * keys + j]) bias[row + j] = MASKED;
      }
    }
  }
  return bias;
}

/**
 * Rotary tables in Hugging Face's rotate-half convention: for position p and i < D/2,
 * θ_i = p / rope_theta^(2i/D), and cos/sin are laid out as [θ_0 … θ_{D/2−1}, θ_0 … θ_{D/2−1}].
 * Returns cos and sin, each [B·T·D].
 */
export function rotaryTables(positions: Int32Array, headDim: number, theta: number): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  const inverseFrequency = new Float64Array(half);
  for (let i = 0; i < half; i++) inverseFrequency[i] = 1 / Math.pow(theta, (2 * i) / headDim);
  const cos = new Float32Array(positions.length * headDim);
  const sin = new Float32Array(positions.length * headDim);
  for (let n = 0; n < positions.length; n++) {
    const p = positions[n] as number;
    for (let i = 0; i < half; i++) {
      const angle = p * (inverseFrequency[i] as number);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[n * headDim + i] = c;
      cos[n * headDim + half + i] = c;
      sin[n * headDim + i] = s;
      sin[n * headDim + half + i] = s;
    }
  }
  return { cos, sin };
}

/**
 * The [D, D] matrix R with x·R = rotate_half(x) = [−x_{D/2…D−1}, x_{0…D/2−1}] (HF's rotate_half),
 * so the rotation is one 2-D matMul instead of two slices, a negation and a concat.
 */
export function rotateHalfMatrix(headDim: number): Float32Array {
  const half = headDim / 2;
  const r = new Float32Array(headDim * headDim);
  for (let j = 0; j < half; j++) {
    r[(j + half) * headDim + j] = -1; // out[j] = −x[j + D/2]
    r[j * headDim + (j + half)] = 1; // out[j + D/2] = x[j]
  }
  return r;
}
