/**
 * The kernel pool (`src/kernels/kernel-pool.ts`): the causal-attention kernel run by 1, 2 and 3
 * threads on one shared memory gives exactly what one call over all units gives in the kernel's
 * own memory (`causalAttentionForward`/`Backward`), and bad calls fail with a clear message.
 */
import { describe, expect, it } from 'vitest';
import { attentionScratchBytes, attentionUnits, causalAttentionBackward, causalAttentionForward, causalAttentionModule, type CausalAttentionShape } from '../src/kernels/causal-attention';
import { createKernelPool } from '../src/kernels/kernel-pool';
import type { WasmMemory } from '../src/kernels/wasm-api';
import { attentionBias } from '../src/model/inputs';
import { randomValues } from './support';

const shape: CausalAttentionShape = { batch: 3, time: 9, heads: 4, kvHeads: 2, headDim: 8 };
const { batch, time, heads, kvHeads, headDim } = shape;
const queryValues = batch * time * heads * headDim;
const keyValues = batch * time * kvHeads * headDim;
const statValues = batch * heads * time;
const scale = 1 / Math.sqrt(headDim);
const q = randomValues(queryValues, 'pool-q');
const k = randomValues(keyValues, 'pool-k');
const v = randomValues(keyValues, 'pool-v');
const dO = randomValues(queryValues, 'pool-dO');
const keyMask = Uint8Array.from({ length: batch * time }, (_, i) => (i % time < 2 && i >= time ? 0 : 1)); // rows 1, 2 left-padded by 2
const bias = attentionBias(keyMask, batch, time, time, 0);

const WebAssemblyApi = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory } }).WebAssembly;

/** Forward and backward through a pool of `threads` threads on a fresh shared memory. */
function throughPool(threads: number) {
  const memory = new WebAssemblyApi.Memory({ initial: 4, maximum: 64, shared: true });
  const module = causalAttentionModule(true);
  expect(module).not.toBeNull();
  const pool = createKernelPool(module as object, memory, ['forward', 'backward'], threads);
  try {
    let at = 0;
    const take = (values: number) => {
      const start = at;
      at += Math.ceil((values * 4) / 16) * 16;
      return start;
    };
    const p = { q: take(queryValues), k: take(keyValues), v: take(keyValues), bias: take(bias.length), o: take(queryValues), m: take(statValues), l: take(statValues), dO: take(queryValues), dq: take(queryValues), dk: take(keyValues), dv: take(keyValues), scratch: take(time * 8) }; // up to 4 threads × two rows of T floats (T·4 is a multiple of 16 here)
    const heap = new Float32Array(memory.buffer);
    heap.set(q, p.q / 4);
    heap.set(k, p.k / 4);
    heap.set(v, p.v / 4);
    heap.set(bias, p.bias / 4);
    heap.set(dO, p.dO / 4);
    heap.fill(Number.NaN, p.dk / 4, p.dk / 4 + keyValues); // the backward must overwrite, not add to, dk and dv
    const sizes = [batch, time, heads, kvHeads, headDim, scale];
    const scratchBytes = attentionScratchBytes(time);
    pool.run('forward', [...sizes, p.q, p.k, p.v, p.bias, p.o, p.m, p.l], attentionUnits(shape), p.scratch, scratchBytes);
    pool.run('backward', [...sizes, p.q, p.k, p.v, p.bias, p.o, p.m, p.l, p.dO, p.dq, p.dk, p.dv], attentionUnits(shape), p.scratch, scratchBytes);
    const read = (offset: number, values: number) => Array.from(heap.subarray(offset / 4, offset / 4 + values));
    return { threads: pool.threads, output: read(p.o, queryValues), rowMax: read(p.m, statValues), rowSum: read(p.l, statValues), dq: read(p.dq, queryValues), dk: read(p.dk, keyValues), dv: read(p.dv, keyValues) };
  } finally {
    pool.close();
  }
}

describe('kernel pool', () => {
  it('runs the attention kernel on 1, 2 and 3 threads with results identical to one call over all units', () => {
    const forward = causalAttentionForward(shape, q, k, v, bias, scale);
    const gradients = causalAttentionBackward(shape, q, k, v, bias, scale, forward, dO);
    for (const threads of [1, 2, 3]) {
      const pooled = throughPool(threads);
      expect(pooled.threads).toBe(threads);
      expect(pooled.output).toEqual(Array.from(forward.output));
      expect(pooled.rowMax).toEqual(Array.from(forward.rowMax));
      expect(pooled.rowSum).toEqual(Array.from(forward.rowSum));
      expect(pooled.dq).toEqual(Array.from(gradients.query));
      expect(pooled.dk).toEqual(Array.from(gradients.key));
      expect(pooled.dv).toEqual(Array.from(gradients.value));
      expect(pooled.dk.every(Number.isFinite)).toBe(true);
    }
  });

  it('names a function the module does not export, and an unknown function at call time', () => {
    const memory = new WebAssemblyApi.Memory({ initial: 1, maximum: 4, shared: true });
    const module = causalAttentionModule(true) as object;
    expect(() => createKernelPool(module, memory, ['forward', 'sideways'], 1)).toThrow(/exports no function sideways/);
    const pool = createKernelPool(module, memory, ['forward'], 1);
    expect(() => pool.run('backward', [], 1, 0, 0)).toThrow(/unknown function backward/);
    pool.close();
  });
});
