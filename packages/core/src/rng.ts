import { InvalidArgumentError } from './errors';
import type { RandomSource } from './contracts/objective';

/** Serialisable state of a `SeededRng` (four unsigned 32-bit words of sfc32). */
export interface RngState {
  readonly algorithm: 'sfc32';
  readonly words: readonly [number, number, number, number];
}

/** 32-bit hash of a string (FNV-1a), used to turn labels into seeds. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A small, fast, seeded PRNG (sfc32, Chris Doty-Humphrey's Small Fast Counter) whose whole state is
 * four 32-bit words, so it serialises with `getState()` and resumes exactly with `fromState()`.
 * Not for cryptography.
 */
export class SeededRng implements RandomSource {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Seed from a number (any finite value) or a string label. */
  constructor(seed: number | string) {
    if (typeof seed === 'number' && !Number.isFinite(seed)) {
      throw new InvalidArgumentError('seed', `must be a finite number, got ${seed}`);
    }
    const s = typeof seed === 'string' ? hashString(seed) : seed >>> 0;
    const hi = typeof seed === 'number' ? Math.floor(seed / 2 ** 32) >>> 0 : hashString(`hi:${seed}`);
    this.a = 0x9e3779b9;
    this.b = s;
    this.c = hi ^ 0x6a09e667;
    this.d = 1;
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  /** Restore a generator from `getState()`. */
  static fromState(state: RngState): SeededRng {
    if (state.algorithm !== 'sfc32' || state.words.length !== 4) {
      throw new InvalidArgumentError('state', `not an sfc32 state: ${JSON.stringify(state)}`);
    }
    const rng = new SeededRng(0);
    [rng.a, rng.b, rng.c, rng.d] = state.words.map((w) => w >>> 0) as [number, number, number, number];
    return rng;
  }

  /** The current state; `SeededRng.fromState(rng.getState())` continues the same sequence. */
  getState(): RngState {
    return { algorithm: 'sfc32', words: [this.a, this.b, this.c, this.d] };
  }

  /** Uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive <= 0) {
      throw new InvalidArgumentError('maxExclusive', `must be a positive integer, got ${maxExclusive}`);
    }
    return Math.floor(this.next() * maxExclusive);
  }

  /** Uniform integer in [min, max] (both inclusive). */
  intBetween(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A uniformly chosen element. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new InvalidArgumentError('items', 'cannot choose from an empty list');
    return items[this.int(items.length)] as T;
  }

  /** A new array with the items in uniformly random order (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  /** An independent generator derived from this one's current state and a label; this one is not advanced. */
  fork(label: string): SeededRng {
    const rng = SeededRng.fromState(this.getState());
    rng.a = (rng.a ^ hashString(label)) >>> 0;
    for (let i = 0; i < 12; i++) rng.nextUint32();
    return rng;
  }
}
