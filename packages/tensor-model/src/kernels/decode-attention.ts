/**
 * The decode-step attention kernel (`decode-attention.wat`, wasm SIMD) and the key/value cache it
 * owns: one `DecodeAttentionKernel` per decoding session, holding every layer's keys and values in
 * its own WebAssembly memory. Per layer and step, one call rotates the step's q and k, appends k and
 * v, and attends, replacing ~12 TensorFlow.js ops whose rank-3 matMuls are a slow loop on the wasm
 * backend. No TensorFlow.js here: plain Float32Arrays in and out (`model/kernel-attention.ts` adapts it).
 *
 * Capacity: slots per cache row; when a step needs more, the memory is rebuilt with double the
 * capacity (amortised O(1) per step; the attention work depends on the keys present, not on capacity).
 *
 * Memories are pooled: `dispose()` returns a session's memory for the next session to reuse.
 * Touching fresh memory costs page faults (measured ~4 ms per MiB in this VM: a batch-16 prefill
 * took 3× longer on a new memory than on a reused one).
 */
import { DECODE_ATTENTION_WASM_BASE64 } from './decode-attention.wasm';
import { compileKernel, wasmApi, type WasmMemory } from './wasm-api';

/** Sizes the kernel needs. */
export interface DecodeAttentionShape {
  /** B */
  readonly batch: number;
  /** H */
  readonly heads: number;
  /** H_kv (divides H) */
  readonly kvHeads: number;
  /** D (a multiple of 4) */
  readonly headDim: number;
  readonly layers: number;
}

interface KernelExports {
  attend(
    batch: number, heads: number, kvHeads: number, dim: number, cap: number, len: number,
    qkv: number, cos: number, sin: number, mask: number, keys: number, values: number, scores: number, out: number,
    scale: number,
  ): void;
  exp(x: number): number;
  exp4(a: number, b: number, c: number, d: number, out: number): void;
}


let compiled: object | null | undefined;

/** The compiled kernel, or null where WebAssembly (with SIMD and bulk memory) is unavailable. */
function decodeAttentionModule(): object | null {
  if (compiled === undefined) {
    compiled = compileKernel(DECODE_ATTENTION_WASM_BASE64);
  }
  return compiled;
}

/** Whether the kernel can run a model of these sizes here. */
export function decodeAttentionSupported(shape: Pick<DecodeAttentionShape, 'heads' | 'kvHeads' | 'headDim'>): boolean {
  return shape.headDim % 4 === 0 && shape.heads % shape.kvHeads === 0 && decodeAttentionModule() !== null;
}

/** A memory and the kernel instance bound to it. */
interface Instantiated {
  readonly memory: WasmMemory;
  readonly kernel: KernelExports;
}

/** Released memories, most recent last; at most `POOL_BYTES` in all. */
const pool: Instantiated[] = [];
const POOL_BYTES = 512 * 1024 * 1024;

function release(entry: Instantiated): void {
  pool.push(entry);
  let total = pool.reduce((sum, e) => sum + e.memory.buffer.byteLength, 0);
  while (total > POOL_BYTES && pool.length > 0) total -= (pool.shift() as Instantiated).memory.buffer.byteLength;
}

/** The smallest pooled memory of at least `bytes`, taken out of the pool. */
function takePooled(bytes: number): Instantiated | undefined {
  let best = -1;
  pool.forEach((entry, i) => {
    const size = entry.memory.buffer.byteLength;
    if (size >= bytes && (best < 0 || size < (pool[best] as Instantiated).memory.buffer.byteLength)) best = i;
  });
  return best < 0 ? undefined : pool.splice(best, 1)[0];
}

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;
const WASM_PAGE = 65_536;
/** wasm32 memories stop at 4 GiB. */
const MAX_BYTES = 65_536 * WASM_PAGE;

interface Layout {
  readonly capacity: number;
  readonly qkv: number;
  readonly cos: number;
  readonly sin: number;
  readonly out: number;
  readonly scores: number;
  readonly mask: number;
  /** byte offsets of each layer's keys and values [B·H_kv, capacity, D] */
  readonly keys: number[];
  readonly values: number[];
  readonly bytes: number;
}

function layoutFor(shape: DecodeAttentionShape, capacity: number): Layout {
  const { batch, heads, kvHeads, headDim, layers } = shape;
  let at = 0;
  const take = (bytes: number): number => {
    const start = at;
    at += align16(bytes);
    return start;
  };
  const qkv = take(batch * (heads + 2 * kvHeads) * headDim * 4);
  const cos = take(batch * headDim * 4);
  const sin = take(batch * headDim * 4);
  const out = take(batch * heads * headDim * 4);
  const scores = take(capacity * 4);
  const mask = take(batch * capacity);
  const cacheBytes = batch * kvHeads * capacity * headDim * 4;
  const keys: number[] = [];
  const values: number[] = [];
  for (let layer = 0; layer < layers; layer++) {
    keys.push(take(cacheBytes));
    values.push(take(cacheBytes));
  }
  return { capacity, qkv, cos, sin, out, scores, mask, keys, values, bytes: at };
}

/** One decoding session's attention: the key/value cache and the kernel that reads it. */
export class DecodeAttentionKernel {
  private layout: Layout;
  private memory: WasmMemory;
  private kernel: KernelExports;
  private floats: Float32Array;
  private bytes: Uint8Array;
  /** Keys cached per row (the same for every layer once a step has run through all layers). */
  private length = 0;
  /** Keys a step attends to (set by `beginStep`). */
  private stepLength = 0;
  private readonly scale: number;
  private disposed = false;

  constructor(
    readonly shape: DecodeAttentionShape,
    initialCapacity: number,
  ) {
    if (!decodeAttentionSupported(shape)) {
      throw new Error(`decode-attention kernel unavailable (needs WebAssembly SIMD, D % 4 = 0 and H_kv | H; D = ${shape.headDim}, H = ${shape.heads}, H_kv = ${shape.kvHeads})`);
    }
    this.scale = 1 / Math.sqrt(shape.headDim);
    this.layout = layoutFor(shape, align16(Math.max(1, initialCapacity)));
    ({ memory: this.memory, kernel: this.kernel } = this.instantiate(this.layout));
    this.floats = new Float32Array(this.memory.buffer);
    this.bytes = new Uint8Array(this.memory.buffer);
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error('internal: decode-attention kernel used after dispose()');
  }

  /** Cache slots per row. */
  get capacity(): number {
    return this.layout.capacity;
  }

  /** Bytes of WebAssembly memory held. */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  private instantiate(layout: Layout): Instantiated {
    const pooled = takePooled(layout.bytes);
    if (pooled) return pooled;
    if (layout.bytes > MAX_BYTES) {
      throw new RangeError(`decode-attention cache of ${layout.bytes} bytes exceeds the 4 GiB of a wasm32 memory (batch ${this.shape.batch}, capacity ${layout.capacity})`);
    }
    const module = decodeAttentionModule();
    if (!module || !wasmApi) throw new Error('decode-attention kernel unavailable');
    const memory = new wasmApi.Memory({ initial: Math.max(1, Math.ceil(layout.bytes / WASM_PAGE)) });
    const instance = new wasmApi.Instance(module, { env: { memory } });
    return { memory, kernel: instance.exports as unknown as KernelExports };
  }

  /** Grow to at least `slots` slots per row, keeping the cached keys and values. */
  private ensureCapacity(slots: number): void {
    const old = this.layout;
    if (slots <= old.capacity) return;
    const layout = layoutFor(this.shape, align16(Math.max(slots, 2 * old.capacity)));
    const { memory, kernel } = this.instantiate(layout);
    const previous = { memory: this.memory, kernel: this.kernel };
    const floats = new Float32Array(memory.buffer);
    const { batch, kvHeads, headDim, layers } = this.shape;
    const rowFloats = this.length * headDim;
    for (let layer = 0; layer < layers; layer++) {
      for (const [from, to] of [
        [old.keys[layer] as number, layout.keys[layer] as number],
        [old.values[layer] as number, layout.values[layer] as number],
      ] as const) {
        for (let row = 0; row < batch * kvHeads; row++) {
          const source = from / 4 + row * old.capacity * headDim;
          floats.set(this.floats.subarray(source, source + rowFloats), to / 4 + row * layout.capacity * headDim);
        }
      }
    }
    this.layout = layout;
    this.memory = memory;
    this.kernel = kernel;
    this.floats = floats;
    this.bytes = new Uint8Array(memory.buffer);
    release(previous);
  }

  /**
   * Load one layer's prompt keys (already rotated) and values, each [B_src·H_kv, T, D] row-major,
   * as slots 0…T−1. Batch row b takes source row `rowOf[b]` (default b: B_src = B), so rows that
   * share a prompt are prefilled once and copied here. Every layer must be loaded with the same T
   * before the first step.
   */
  loadLayer(layer: number, keys: Float32Array, values: Float32Array, length: number, rowOf?: Int32Array): void {
    this.assertAlive();
    const { batch, kvHeads, headDim } = this.shape;
    const sourceRows = keys.length / (kvHeads * length * headDim);
    if (!Number.isInteger(sourceRows) || values.length !== keys.length || (rowOf ? rowOf.length !== batch : sourceRows !== batch)) {
      throw new Error(`internal: layer ${layer} prompt cache has ${keys.length}/${values.length} floats for ${rowOf?.length ?? batch} rows of ${length} keys`);
    }
    if (layer === 0) this.length = 0;
    this.ensureCapacity(length);
    const { capacity } = this.layout;
    const rowFloats = length * headDim;
    for (const [source, base] of [
      [keys, this.layout.keys[layer] as number],
      [values, this.layout.values[layer] as number],
    ] as const) {
      for (let b = 0; b < batch; b++) {
        const from = rowOf ? (rowOf[b] as number) : b;
        if (from < 0 || from >= sourceRows) throw new Error(`internal: row ${b} maps to source row ${from} of ${sourceRows}`);
        for (let j = 0; j < kvHeads; j++) {
          const start = (from * kvHeads + j) * rowFloats;
          this.floats.set(source.subarray(start, start + rowFloats), base / 4 + (b * kvHeads + j) * capacity * headDim);
        }
      }
    }
    this.length = length;
  }

  /**
   * Prepare a step: rotary tables at each row's position (`cos`, `sin` [B·D]) and the key mask
   * [B·T_k] over the cached keys and this step's (T_k = cached + 1).
   */
  beginStep(cos: Float32Array, sin: Float32Array, keyMask: Uint8Array): void {
    this.assertAlive();
    const { batch, headDim } = this.shape;
    const keys = keyMask.length / batch;
    if (keys !== this.length + 1) throw new Error(`internal: key mask covers ${keys} keys; the cache holds ${this.length}`);
    this.ensureCapacity(keys);
    const { capacity } = this.layout;
    this.floats.set(cos.subarray(0, batch * headDim), this.layout.cos / 4);
    this.floats.set(sin.subarray(0, batch * headDim), this.layout.sin / 4);
    for (let b = 0; b < batch; b++) this.bytes.set(keyMask.subarray(b * keys, (b + 1) * keys), this.layout.mask + b * capacity);
    this.stepLength = keys;
  }

  /**
   * Attention of this step in one layer: `queryKeyValue` [B, (H + 2H_kv)·D] (projected, not rotated)
   * → [B, H·D], a view valid until the next call. Appends the step's key and value to the layer.
   * Call for layers 0…L−1 in order after `beginStep`.
   */
  attend(layer: number, queryKeyValue: Float32Array): Float32Array {
    this.assertAlive();
    const { batch, heads, kvHeads, headDim, layers } = this.shape;
    const expected = batch * (heads + 2 * kvHeads) * headDim;
    if (queryKeyValue.length !== expected) throw new Error(`internal: q|k|v has ${queryKeyValue.length} floats; expected ${expected}`);
    if (this.stepLength !== this.length + 1) throw new Error('internal: attend() without beginStep()');
    const l = this.layout;
    this.floats.set(queryKeyValue, l.qkv / 4);
    this.kernel.attend(batch, heads, kvHeads, headDim, l.capacity, this.stepLength, l.qkv, l.cos, l.sin, l.mask, l.keys[layer] as number, l.values[layer] as number, l.scores, l.out, this.scale);
    if (layer === layers - 1) this.length = this.stepLength;
    return this.floats.subarray(l.out / 4, l.out / 4 + batch * heads * headDim);
  }

  /** Return the memory to the pool for later sessions; the kernel must not be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    release({ memory: this.memory, kernel: this.kernel });
  }

  /** The kernel's scalar e^x (x ≤ 0), for accuracy tests. */
  exp(x: number): number {
    return this.kernel.exp(x);
  }

  /** The kernel's four-lane e^x (x ≤ 0), for accuracy tests (uses the scores scratch). */
  exp4(x: readonly [number, number, number, number]): number[] {
    this.kernel.exp4(x[0], x[1], x[2], x[3], this.layout.scores);
    return Array.from(this.floats.subarray(this.layout.scores / 4, this.layout.scores / 4 + 4));
  }
}
