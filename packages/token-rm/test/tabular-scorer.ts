import type { PerTokenLoss, TokenBatch, TokenScorer } from '@oreal-ts/core';

/** A context-free scorer s_t = θ[y_t] trained by plain SGD — a real, tiny `TokenScorer` for tests. */
export interface TabularScorer extends TokenScorer {
  readonly theta: Float64Array;
  readonly disposed: () => boolean;
  readonly savedDirs: string[];
}

export function createTabularScorer(vocabSize: number, learningRate: number): TabularScorer {
  const theta = new Float64Array(vocabSize);
  const grad = new Float64Array(vocabSize);
  const saved = new Map<string, Float64Array>();
  const savedDirs: string[] = [];
  let step = 0;
  let disposed = false;
  const scoresOf = (batch: TokenBatch) => batch.responseIds.map((row) => row.map((id) => theta[id] as number));
  return {
    specificationVersion: 'v1',
    id: 'test/tabular-scorer',
    parameterCount: vocabSize,
    theta,
    savedDirs,
    disposed: () => disposed,
    async scores(batch) {
      return scoresOf(batch);
    },
    async accumulateGradients(batch: TokenBatch, loss: PerTokenLoss) {
      const result = loss(scoresOf(batch));
      batch.responseIds.forEach((row, r) => row.forEach((id, t) => (grad[id] = (grad[id] as number) + (result.gradient[r]?.[t] ?? 0))));
      return result;
    },
    async applyGradients() {
      const gradNorm = Math.sqrt(grad.reduce((s, g) => s + g * g, 0));
      for (let k = 0; k < vocabSize; k++) theta[k] = (theta[k] as number) - learningRate * (grad[k] as number);
      grad.fill(0);
      step++;
      return { step, gradNorm, clipped: false, learningRate };
    },
    clearGradients: () => grad.fill(0),
    async save(dir) {
      savedDirs.push(dir);
      saved.set(dir, Float64Array.from(theta));
    },
    async load(dir) {
      const state = saved.get(dir);
      if (!state) throw new Error(`nothing saved at ${dir}`);
      theta.set(state);
    },
    dispose: () => {
      disposed = true;
    },
  };
}
