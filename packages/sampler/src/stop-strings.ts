/** Where a stop string was found in a response text. */
export interface StopMatch {
  /** The stop string that matched. */
  readonly stop: string;
  /** Index just past the stop string: the response text is `text.slice(0, end)`. */
  readonly end: number;
}

/**
 * The earliest occurrence of any stop string in `text` that ends at or after `searchFrom`
 * (pass the previous text length so each step scans only the new tail; earlier positions
 * were already checked). Among stops that begin at the same index the longest wins.
 */
export function findStopString(
  text: string,
  stops: readonly string[],
  searchFrom = 0,
): StopMatch | undefined {
  let best: { start: number; stop: string } | undefined;
  for (const stop of stops) {
    if (stop.length === 0) continue;
    const start = text.indexOf(stop, Math.max(0, searchFrom - stop.length + 1));
    if (start < 0) continue;
    if (!best || start < best.start || (start === best.start && stop.length > best.stop.length))
      best = { start, stop };
  }
  return best ? { stop: best.stop, end: best.start + best.stop.length } : undefined;
}
