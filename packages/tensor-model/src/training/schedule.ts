/**
 * Learning-rate schedule (linear warm-up, then cosine decay to a floor): the pure helper lives in
 * `@oreal-ts/core` so remote engines follow the same schedule; re-exported here unchanged.
 */
export { scheduledLearningRate } from '@oreal-ts/core';
