import { SeededRng, hashString } from '@oreal-ts/core';

/** Where a `DataCursor` stands: the epoch and the position inside that epoch's order. */
export interface DataCursorState {
  readonly epoch: number;
  readonly position: number;
}

/**
 * A seeded, resumable walk over `size` items: each epoch visits every index once, in an order
 * shuffled from `(seed, epoch)` alone, so the state is just `{ epoch, position }`.
 */
export class DataCursor {
  private epochValue = 0;
  private positionValue = 0;
  private order: number[];

  constructor(
    private readonly size: number,
    private readonly seed: number,
    private readonly shuffle = true,
    state?: DataCursorState,
  ) {
    if (!Number.isInteger(size) || size <= 0)
      throw new RangeError(`DataCursor: size must be a positive integer, got ${size}`);
    if (state) {
      this.epochValue = state.epoch;
      this.positionValue = state.position;
    }
    this.order = this.orderOf(this.epochValue);
  }

  /** The current state (serialisable). */
  get state(): DataCursorState {
    return { epoch: this.epochValue, position: this.positionValue };
  }

  /** The next `count` indices, crossing into the next epoch (a fresh order) when one runs out. */
  next(count: number): number[] {
    const out: number[] = [];
    while (out.length < count) {
      if (this.positionValue >= this.size) {
        this.epochValue++;
        this.positionValue = 0;
        this.order = this.orderOf(this.epochValue);
      }
      out.push(this.order[this.positionValue] as number);
      this.positionValue++;
    }
    return out;
  }

  private orderOf(epoch: number): number[] {
    const indices = Array.from({ length: this.size }, (_, i) => i);
    if (!this.shuffle) return indices;
    return new SeededRng(hashString(`oreal-ts/data-order:${this.seed}:${epoch}`)).shuffle(indices);
  }
}
