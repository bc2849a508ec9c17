import { describe, expect, it } from 'vitest';
import { DataCursor } from './data-cursor';

describe('DataCursor', () => {
  it('visits every index once per epoch, reshuffling each epoch', () => {
    const cursor = new DataCursor(7, 1);
    const first = cursor.next(7);
    const second = cursor.next(7);
    expect([...first].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect([...second].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(first).not.toEqual(second);
    expect(cursor.state).toEqual({ epoch: 1, position: 7 });
  });

  it('continues identically from a saved state, across epoch boundaries', () => {
    const straight = new DataCursor(5, 9);
    const all = straight.next(13);
    const part = new DataCursor(5, 9);
    const head = part.next(6);
    const resumed = new DataCursor(5, 9, true, part.state);
    expect([...head, ...resumed.next(7)]).toEqual(all);
  });

  it('keeps the given order without shuffling and differs by seed with it', () => {
    expect(new DataCursor(4, 1, false).next(6)).toEqual([0, 1, 2, 3, 0, 1]);
    expect(new DataCursor(20, 1).next(20)).not.toEqual(new DataCursor(20, 2).next(20));
  });
});
