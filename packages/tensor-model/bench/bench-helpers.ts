/** Helpers shared by this package's benchmark files. */
import type { PerTokenLoss, TokenBatch } from '@oreal-ts/core';
import { SeededRng } from '@oreal-ts/core';

/** Median wall time of `run` over `repeats` calls after `warmup` calls, in ms. */
export async function medianMs(run: () => Promise<void> | void, repeats: number, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

/** Mean negative log-likelihood over every scored position (PyTorch's `F.cross_entropy` default reduction). */
export const meanNll: PerTokenLoss = (values) => {
  const count = values.reduce((n, row) => n + row.length, 0);
  return { loss: -values.flat().reduce((a, b) => a + b, 0) / count, gradient: values.map((row) => row.map(() => -1 / count)) };
};

/** `rows` rows of `prompt` random prompt ids and `response` random response ids (the model is scored on the response). */
export function randomBatch(vocab: number, rows: number, prompt: number, response: number, seed: number): TokenBatch {
  const rng = new SeededRng(seed);
  const row = (n: number) => Array.from({ length: n }, () => rng.int(vocab));
  return { promptIds: Array.from({ length: rows }, () => row(prompt)), responseIds: Array.from({ length: rows }, () => row(response)) };
}
