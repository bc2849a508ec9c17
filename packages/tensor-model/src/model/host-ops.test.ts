import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDifference, randomTensor, setupBackend } from '../../test/support';
import { addRmsNorm, embedTokens, HOST_NORM_MAX_VALUES, onHostBackend } from './host-ops';
import { rmsNorm } from './transformer';

beforeAll(setupBackend);

describe('host decode ops (wasm backend)', () => {
  it('run on the host here', () => {
    expect(onHostBackend()).toBe(true);
  });

  it('embedTokens equals tf.gather and names an id outside the table', () => {
    tf.tidy(() => {
      const table = randomTensor([7, 5], 1) as tf.Tensor2D;
      const ids = Int32Array.from([3, 0, 6, 3]);
      expect(maxAbsDifference(embedTokens(table, ids).dataSync(), tf.gather(table, tf.tensor1d(ids, 'int32')).dataSync())).toBe(0);
      expect(() => embedTokens(table, Int32Array.from([7]))).toThrow(/token id 7 outside the embedding table of 7 rows/);
    });
  });

  it('addRmsNorm equals add + rmsNorm as tf ops, with and without the residual', () => {
    tf.tidy(() => {
      const x = randomTensor([3, 8], 2) as tf.Tensor2D;
      const delta = randomTensor([3, 8], 3) as tf.Tensor2D;
      const weight = randomTensor([8], 4) as tf.Tensor1D;
      const fused = addRmsNorm(x, delta, weight, 1e-5);
      const sum = tf.add(x, delta);
      expect(maxAbsDifference(fused.sum.dataSync(), sum.dataSync())).toBe(0);
      expect(maxAbsDifference(fused.normed.dataSync(), rmsNorm(sum, weight, 1e-5).dataSync())).toBeLessThan(1e-6);
      const alone = addRmsNorm(x, undefined, weight, 1e-5);
      expect(alone.sum).toBe(x);
      expect(maxAbsDifference(alone.normed.dataSync(), rmsNorm(x, weight, 1e-5).dataSync())).toBeLessThan(1e-6);
    });
  });

  it('addRmsNorm takes tf ops past HOST_NORM_MAX_VALUES, with the same result', () => {
    tf.tidy(() => {
      const rows = HOST_NORM_MAX_VALUES / 8 + 1;
      const x = randomTensor([rows, 8], 5) as tf.Tensor2D;
      const delta = randomTensor([rows, 8], 6) as tf.Tensor2D;
      const weight = randomTensor([8], 7) as tf.Tensor1D;
      const sum = tf.add(x, delta);
      expect(maxAbsDifference(addRmsNorm(x, delta, weight, 1e-6).normed.dataSync(), rmsNorm(sum, weight, 1e-6).dataSync())).toBe(0);
    });
  });
});
