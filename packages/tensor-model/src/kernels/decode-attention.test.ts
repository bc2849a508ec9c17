import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SeededRng } from '@oreal-ts/core';
import { rotaryTables } from '../model/inputs';
import { DecodeAttentionKernel, decodeAttentionSupported, type DecodeAttentionShape } from './decode-attention';

/** Float64 attention of one step, written from the definition (HF rotate_half, softmax over unmasked keys). */
class ReferenceAttention {
  /** [layer][row n = b·H_kv + j][t] → D numbers */
  readonly keys: number[][][][];
  readonly values: number[][][][];
  constructor(readonly shape: DecodeAttentionShape) {
    const rows = shape.batch * shape.kvHeads;
    this.keys = Array.from({ length: shape.layers }, () => Array.from({ length: rows }, () => []));
    this.values = Array.from({ length: shape.layers }, () => Array.from({ length: rows }, () => []));
  }

  static rotate(x: number[], cos: ArrayLike<number>, sin: ArrayLike<number>): number[] {
    const half = x.length / 2;
    return x.map((v, i) => v * (cos[i] as number) + (i < half ? -(x[i + half] as number) : (x[i - half] as number)) * (sin[i] as number));
  }

  step(layer: number, qkv: Float32Array, cos: Float32Array, sin: Float32Array, keyMask: Uint8Array): number[] {
    const { batch, heads, kvHeads, headDim: d } = this.shape;
    const width = heads + 2 * kvHeads;
    const keysPerRow = keyMask.length / batch;
    const out: number[] = [];
    for (let b = 0; b < batch; b++) {
      const head = (i: number) => Array.from(qkv.subarray((b * width + i) * d, (b * width + i + 1) * d));
      const c = cos.subarray(b * d, (b + 1) * d);
      const s = sin.subarray(b * d, (b + 1) * d);
      for (let j = 0; j < kvHeads; j++) {
        this.keys[layer]![b * kvHeads + j]!.push(ReferenceAttention.rotate(head(heads + j), c, s));
        this.values[layer]![b * kvHeads + j]!.push(head(heads + kvHeads + j));
      }
      for (let h = 0; h < heads; h++) {
        const q = ReferenceAttention.rotate(head(h), c, s).map((v) => v / Math.sqrt(d));
        const n = b * kvHeads + Math.floor(h / (heads / kvHeads));
        const scores = this.keys[layer]![n]!.map((k, t) => (keyMask[b * keysPerRow + t] ? k.reduce((acc, v, i) => acc + v * (q[i] as number), 0) : -Infinity));
        const max = Math.max(...scores);
        const weights = scores.map((v) => Math.exp(v - max));
        const total = weights.reduce((a, v) => a + v, 0);
        for (let i = 0; i < d; i++) out.push(this.values[layer]![n]!.reduce((acc, v, t) => acc + (v[i] as number) * (weights[t] as number), 0) / total);
      }
    }
    return out;
  }
}

function randomArray(rng: SeededRng, length: number): Float32Array {
  return Float32Array.from({ length }, () => rng.normal());
}

describe('decode-attention kernel', () => {
  it('is built from its .wat source, as is every kernel here (the committed modules are up to date)', async () => {
    const { kernelModule } = await import('../../scripts/build-kernels.mjs');
    for (const name of ['decode-attention', 'causal-attention']) {
      const wat = fileURLToPath(new URL(`./${name}.wat`, import.meta.url));
      const committed = readFileSync(fileURLToPath(new URL(`./${name}.wasm.ts`, import.meta.url)), 'utf8');
      expect(await kernelModule(wat), name).toBe(committed);
    }
  });

  it('runs here (WebAssembly SIMD) and refuses head sizes it cannot take', () => {
    expect(decodeAttentionSupported({ heads: 4, kvHeads: 2, headDim: 8 })).toBe(true);
    expect(decodeAttentionSupported({ heads: 4, kvHeads: 2, headDim: 6 })).toBe(false);
    expect(decodeAttentionSupported({ heads: 4, kvHeads: 3, headDim: 8 })).toBe(false);
    expect(() => new DecodeAttentionKernel({ batch: 1, heads: 2, kvHeads: 1, headDim: 6, layers: 1 }, 4)).toThrow(/D % 4 = 0/);
  });

  it('computes e^x on [−87, 0] to float32 accuracy and 0 below, on one lane and on four', () => {
    const kernel = new DecodeAttentionKernel({ batch: 1, heads: 1, kvHeads: 1, headDim: 4, layers: 1 }, 4);
    let worst = 0;
    let worst4 = 0;
    for (let x = -87; x <= 0; x += 0.0137) {
      const exact = Math.exp(Math.fround(x));
      worst = Math.max(worst, Math.abs(kernel.exp(x) / exact - 1));
      const lanes = kernel.exp4([x, x / 2, x / 3, x / 7]);
      [x, x / 2, x / 3, x / 7].forEach((v, i) => (worst4 = Math.max(worst4, Math.abs((lanes[i] as number) / Math.exp(Math.fround(v)) - 1))));
    }
    expect(worst).toBeLessThan(3e-7);
    expect(worst4).toBeLessThan(3e-7);
    expect(kernel.exp(0)).toBe(1);
    expect(kernel.exp(-100)).toBe(0);
    expect(kernel.exp(-Infinity)).toBe(0);
    expect(kernel.exp(Number.NaN)).toBeNaN();
    const special = kernel.exp4([0, -100, -Infinity, Number.NaN]);
    expect(special.slice(0, 3)).toEqual([1, 0, 0]);
    expect(special[3]).toBeNaN();
  });

  for (const shape of [
    { batch: 3, heads: 4, kvHeads: 2, headDim: 8, layers: 2 }, // GQA, groups of 2
    { batch: 2, heads: 2, kvHeads: 2, headDim: 12, layers: 1 },
  ] as const) {
    it(`matches float64 attention over a left-padded prompt and 30 steps, growing the cache (B ${shape.batch}, H ${shape.heads}, H_kv ${shape.kvHeads}, D ${shape.headDim})`, () => {
      const rng = new SeededRng(7);
      const { batch, heads, kvHeads, headDim, layers } = shape;
      const promptLength = 5;
      const padding = Array.from({ length: batch }, (_, b) => b % 3); // row b starts after b % 3 padded slots
      const kernel = new DecodeAttentionKernel(shape, 8);
      const reference = new ReferenceAttention(shape);
      // Prompt: random keys (already rotated) and values, loaded into both.
      for (let layer = 0; layer < layers; layer++) {
        const keys = randomArray(rng, batch * kvHeads * promptLength * headDim);
        const values = randomArray(rng, keys.length);
        kernel.loadLayer(layer, keys, values, promptLength);
        for (let n = 0; n < batch * kvHeads; n++) {
          for (let t = 0; t < promptLength; t++) {
            reference.keys[layer]![n]!.push(Array.from(keys.subarray((n * promptLength + t) * headDim, (n * promptLength + t + 1) * headDim)));
            reference.values[layer]![n]!.push(Array.from(values.subarray((n * promptLength + t) * headDim, (n * promptLength + t + 1) * headDim)));
          }
        }
      }
      let worst = 0;
      for (let step = 0; step < 30; step++) {
        const keys = promptLength + step + 1;
        const keyMask = new Uint8Array(batch * keys);
        for (let b = 0; b < batch; b++) for (let t = padding[b]!; t < keys; t++) keyMask[b * keys + t] = 1;
        const positions = Int32Array.from(padding, (p) => keys - 1 - p);
        const { cos, sin } = rotaryTables(positions, headDim, 10_000);
        kernel.beginStep(cos, sin, keyMask);
        for (let layer = 0; layer < layers; layer++) {
          const qkv = randomArray(rng, batch * (heads + 2 * kvHeads) * headDim);
          const expected = reference.step(layer, qkv, cos, sin, keyMask);
          const actual = kernel.attend(layer, qkv.slice());
          expect(actual).toHaveLength(expected.length);
          expected.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (actual[i] as number)))));
        }
      }
      expect(kernel.capacity).toBeGreaterThanOrEqual(promptLength + 30);
      expect(worst).toBeLessThan(1e-5);
    });
  }

  it('loads rows that share a prompt from one source row, and they then attend alike', () => {
    const shape = { batch: 3, heads: 2, kvHeads: 1, headDim: 4, layers: 1 };
    const rng = new SeededRng(3);
    const keys = randomArray(rng, 2 * 2 * 4); // 2 source rows × 2 keys × D
    const values = randomArray(rng, keys.length);
    const shared = new DecodeAttentionKernel(shape, 4);
    shared.loadLayer(0, keys, values, 2, Int32Array.from([1, 0, 1]));
    const expanded = new DecodeAttentionKernel(shape, 4);
    const rows = (a: Float32Array) => Float32Array.from([...a.subarray(8, 16), ...a.subarray(0, 8), ...a.subarray(8, 16)]);
    expanded.loadLayer(0, rows(keys), rows(values), 2);
    const { cos, sin } = rotaryTables(Int32Array.from([2, 2, 2]), 4, 10_000);
    const mask = new Uint8Array(9).fill(1);
    const qkv = randomArray(rng, 3 * 4 * 4);
    qkv.copyWithin(32, 0, 16); // rows 0 and 2 get the same step input
    for (const kernel of [shared, expanded]) kernel.beginStep(cos, sin, mask);
    const a = Array.from(shared.attend(0, qkv.slice()));
    const b = Array.from(expanded.attend(0, qkv.slice()));
    expect(a).toEqual(b);
    expect(a.slice(16, 24)).toEqual(a.slice(0, 8)); // row 2 (source 1, same input as row 0) equals row 0
    expect(() => shared.loadLayer(0, keys, values, 2, Int32Array.from([0, 2, 1]))).toThrow(/maps to source row 2 of 2/);
  });

  it('propagates NaN instead of trapping', () => {
    const shape = { batch: 1, heads: 1, kvHeads: 1, headDim: 4, layers: 1 };
    const kernel = new DecodeAttentionKernel(shape, 4);
    kernel.loadLayer(0, new Float32Array(4), new Float32Array(4), 1);
    kernel.beginStep(new Float32Array([1, 1, 1, 1]), new Float32Array(4), new Uint8Array([1, 1]));
    const out = kernel.attend(0, new Float32Array([Number.NaN, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]));
    expect(Array.from(out).every(Number.isNaN)).toBe(true);
  });

  it('refuses a step whose key mask does not match the cache', () => {
    const kernel = new DecodeAttentionKernel({ batch: 2, heads: 1, kvHeads: 1, headDim: 4, layers: 1 }, 4);
    kernel.loadLayer(0, new Float32Array(2 * 3 * 4), new Float32Array(2 * 3 * 4), 3);
    expect(() => kernel.beginStep(new Float32Array(8), new Float32Array(8), new Uint8Array(2 * 3))).toThrow(/covers 3 keys; the cache holds 3/);
    expect(() => kernel.attend(0, new Float32Array(2 * 3 * 4))).toThrow(/without beginStep/);
  });
});
