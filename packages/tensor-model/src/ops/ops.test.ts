import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { gradientCheck, projectToScalar, randomValues, setupBackend } from '../../test/support';
import { linear, matMul2d } from './matmul';
import { embed } from './embedding';
import { attentionScores, attentionValues, batchedProduct, batchedProductByDepthwise, setBatchedProductFormulation } from './attention-products';

beforeAll(setupBackend);

const TOLERANCE = 2e-2;

describe('matMul2d', () => {
  it('equals tf.matMul and has finite-difference-correct gradients', () => {
    const a = { shape: [3, 4], values: randomValues(12, 1) };
    const b = { shape: [4, 5], values: randomValues(20, 2) };
    const same = tf.tidy(() => tf.sub(matMul2d(tf.tensor2d(a.values, [3, 4]), tf.tensor2d(b.values, [4, 5])), tf.matMul(tf.tensor2d(a.values, [3, 4]), tf.tensor2d(b.values, [4, 5]))).abs().max().dataSync()[0]);
    expect(same).toBeLessThan(1e-5);
    const check = gradientCheck((x, y) => projectToScalar(matMul2d(x as tf.Tensor2D, y as tf.Tensor2D)), [a, b]);
    expect(check.largestGradient).toBeGreaterThan(0.1);
    expect(check.worst).toBeLessThan(TOLERANCE);
  });

  it('has the gradients of tf.matMul whichever operand is packed (K < N and K > N)', () => {
    for (const [m, k, n] of [[37, 5, 19], [37, 19, 5], [16, 8, 8]] as const) {
      const a = tf.tensor2d(randomValues(m * k, `a${k}`), [m, k]);
      const b = tf.tensor2d(randomValues(k * n, `b${n}`), [k, n]);
      const weights = tf.tensor2d(randomValues(m * n, `w${m}`), [m, n]);
      const loss = (product: (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor2D) => (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(product(x as tf.Tensor2D, y as tf.Tensor2D), weights));
      const ours = tf.grads(loss(matMul2d))([a, b]);
      const theirs = tf.grads(loss((x, y) => tf.matMul(x, y)))([a, b]);
      for (let i = 0; i < 2; i++) {
        expect(ours[i]?.shape).toEqual(theirs[i]?.shape);
        const worst = tf.tidy(() => tf.max(tf.abs(tf.sub(ours[i] as tf.Tensor, theirs[i] as tf.Tensor))).dataSync()[0] as number);
        expect(worst, `${m}×${k}×${n} gradient ${i}`).toBeLessThan(1e-5);
      }
      tf.dispose([a, b, weights, ...ours, ...theirs]);
    }
  });

  it('linear flattens leading axes and adds the bias', () => {
    const x = { shape: [2, 3, 4], values: randomValues(24, 3) };
    const w = { shape: [4, 2], values: randomValues(8, 4) };
    const bias = { shape: [2], values: randomValues(2, 5) };
    const check = gradientCheck((xs, ws, bs) => projectToScalar(linear(xs, ws as tf.Tensor2D, bs as tf.Tensor1D)), [x, w, bias]);
    expect(check.worst).toBeLessThan(TOLERANCE);
    const y = tf.tidy(() => linear(tf.tensor(x.values, x.shape), tf.tensor2d(w.values, [4, 2]), tf.tensor1d(bias.values)).arraySync() as number[][][]);
    // y[1][2][0] = Σ_k x[1][2][k]·w[k][0] + b[0]
    let expected = bias.values[0] as number;
    for (let k = 0; k < 4; k++) expected += (x.values[(1 * 3 + 2) * 4 + k] as number) * (w.values[k * 2] as number);
    expect(y[1]?.[2]?.[0]).toBeCloseTo(expected, 4);
  });
});

describe('batched products (attention)', () => {
  it('have finite-difference-correct gradients', () => {
    const a = { shape: [2, 3, 4], values: randomValues(24, 6) };
    const b = { shape: [2, 4, 5], values: randomValues(40, 7) };
    expect(gradientCheck((x, y) => projectToScalar(batchedProduct(x as tf.Tensor3D, y as tf.Tensor3D)), [a, b]).worst).toBeLessThan(TOLERANCE);
    expect(gradientCheck((x, y) => projectToScalar(attentionScores(x as tf.Tensor3D, y as tf.Tensor3D)), [a, b]).worst).toBeLessThan(TOLERANCE);
    const p = { shape: [2, 3, 5], values: randomValues(30, 8) };
    const v = { shape: [2, 5, 4], values: randomValues(40, 9) };
    expect(gradientCheck((x, y) => projectToScalar(attentionValues(x as tf.Tensor3D, y as tf.Tensor3D)), [p, v]).worst).toBeLessThan(TOLERANCE);
  });

  it('compute a batched product as a depthwise convolution exactly as tf.matMul does', () => {
    const worst = tf.tidy(() => {
      const a = tf.tensor3d(randomValues(3 * 5 * 4, 20), [3, 5, 4]);
      const b = tf.tensor3d(randomValues(3 * 4 * 7, 21), [3, 4, 7]);
      return tf.max(tf.abs(tf.sub(batchedProductByDepthwise(a, b), tf.matMul(a, b)))).dataSync()[0] as number;
    });
    expect(worst).toBeLessThan(1e-5);
    for (const formulation of ['matmul', 'depthwise'] as const) {
      const previous = setBatchedProductFormulation(formulation);
      const check = gradientCheck((x, y) => projectToScalar(attentionScores(x as tf.Tensor3D, y as tf.Tensor3D)), [
        { shape: [2, 3, 4], values: randomValues(24, 22) },
        { shape: [2, 4, 5], values: randomValues(40, 23) },
      ]);
      setBatchedProductFormulation(previous);
      expect(check.worst).toBeLessThan(TOLERANCE);
    }
  });

  it('equal tf.matMul', () => {
    const worst = tf.tidy(() => {
      const a = tf.tensor3d(randomValues(2 * 3 * 4, 10), [2, 3, 4]);
      const b = tf.tensor3d(randomValues(2 * 4 * 6, 11), [2, 4, 6]);
      return tf.max(tf.abs(tf.sub(attentionScores(a, b), tf.matMul(a, b)))).dataSync()[0] as number;
    });
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('embed', () => {
  it('looks rows up and its gradient (one-hot product) matches finite differences on this backend', () => {
    const table = { shape: [5, 3], values: randomValues(15, 12) };
    const ids = tf.tensor2d([[0, 4, 4], [2, 1, 0]], [2, 3], 'int32');
    const rows = tf.tidy(() => embed(tf.tensor2d(table.values, [5, 3]), ids).arraySync() as number[][][]);
    expect(rows[0]?.[1]).toEqual(Array.from(table.values.subarray(12, 15)));
    const check = gradientCheck((t) => projectToScalar(embed(t as tf.Tensor2D, ids)), [table]);
    expect(check.largestGradient).toBeGreaterThan(0.1);
    expect(check.worst).toBeLessThan(TOLERANCE);
    ids.dispose();
  });
});
