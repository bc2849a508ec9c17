import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { gradientCheck, projectToScalar, randomValues, setupBackend } from '../../test/support';
import { dimensionsOf, parseTransformerConfig } from '../config';
import { applyRotary, attention, decoderHidden, lmLogits, rmsNorm, swiGlu, tokenLogProbs, type DecoderInputs } from './transformer';
import { parameterSpecs, sizeOf, type ParameterMap } from './parameters';
import { leftPad, rotateHalfMatrix } from './inputs';
import { decoderInputs } from './decoder-inputs';

beforeAll(setupBackend);

const TOLERANCE = 2e-2;
const random = (shape: number[], seed: number, scale = 1) => ({ shape, values: randomValues(shape.reduce((a, b) => a * b, 1), seed, scale) });

describe('rmsNorm', () => {
  it('equals x / sqrt(mean(x²) + ε) ⊙ w and has correct gradients', () => {
    const x = random([2, 3, 5], 1);
    const w = random([5], 2);
    const y = tf.tidy(() => rmsNorm(tf.tensor(x.values, x.shape), tf.tensor(w.values), 1e-6).dataSync());
    const row = Array.from(x.values.subarray(5, 10));
    const scale = 1 / Math.sqrt(row.reduce((a, v) => a + v * v, 0) / 5 + 1e-6);
    row.forEach((v, i) => expect(y[5 + i]).toBeCloseTo(v * scale * (w.values[i] as number), 5));
    expect(gradientCheck((a, b) => projectToScalar(rmsNorm(a, b as tf.Tensor, 1e-6)), [x, w]).worst).toBeLessThan(TOLERANCE);
  });
});

describe('swiGlu', () => {
  it('has correct gradients for input, gate, up and down', () => {
    const check = gradientCheck(
      (x, gate, up, down) => projectToScalar(swiGlu(x, gate as tf.Tensor2D, up as tf.Tensor2D, down as tf.Tensor2D)),
      [random([2, 3, 4], 3), random([4, 6], 4, 0.5), random([4, 6], 14, 0.5), random([6, 4], 5, 0.5)],
    );
    expect(check.largestGradient).toBeGreaterThan(0.05);
    expect(check.worst).toBeLessThan(TOLERANCE);
  });
});

describe('applyRotary', () => {
  it("implements HF's x·cos + rotate_half(x)·sin and has correct gradients", () => {
    const d = 4;
    const x = random([1, 2, 3, d], 6);
    const cos = random([1, 2, 1, d], 7);
    const sin = random([1, 2, 1, d], 8);
    const r = tf.tensor2d(rotateHalfMatrix(d), [d, d]);
    const y = tf.tidy(() => applyRotary(tf.tensor4d(x.values, [1, 2, 3, d]), tf.tensor4d(cos.values, [1, 2, 1, d]), tf.tensor4d(sin.values, [1, 2, 1, d]), r).dataSync());
    // position t = 1, head n = 2: rotate_half([a, b, c, e]) = [−c, −e, a, b]
    const base = (1 * 3 + 2) * d;
    const v = Array.from(x.values.subarray(base, base + d)) as [number, number, number, number];
    const rotated = [-v[2], -v[3], v[0], v[1]];
    for (let j = 0; j < d; j++) {
      expect(y[base + j]).toBeCloseTo((v[j] as number) * (cos.values[d + j] as number) + (rotated[j] as number) * (sin.values[d + j] as number), 5);
    }
    expect(gradientCheck((a, c, s) => projectToScalar(applyRotary(a as tf.Tensor4D, c as tf.Tensor4D, s as tf.Tensor4D, r)), [x, cos, sin]).worst).toBeLessThan(TOLERANCE);
    r.dispose();
  });
});

describe('tokenLogProbs', () => {
  it('is log-softmax read at the target and has correct gradients', () => {
    const logits = random([3, 5], 9);
    const targets = tf.tensor1d([4, 0, 2], 'int32');
    const got = tf.tidy(() => tokenLogProbs(tf.tensor2d(logits.values, [3, 5]), targets).dataSync());
    const row = Array.from(logits.values.subarray(5, 10));
    const logZ = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
    expect(got[1]).toBeCloseTo((row[0] as number) - logZ, 5);
    expect(gradientCheck((l) => projectToScalar(tokenLogProbs(l as tf.Tensor2D, targets)), [logits]).worst).toBeLessThan(TOLERANCE);
    targets.dispose();
  });
});

/** A tiny model's parameters as plain tensors built from `values` (so finite differences can vary them). */
function tinyModel(qwen: boolean) {
  const config = parseTransformerConfig({
    model_type: qwen ? 'qwen2' : 'llama', vocab_size: 7, hidden_size: 8, intermediate_size: 6, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, tie_word_embeddings: qwen, max_position_embeddings: 16,
  });
  const d = dimensionsOf(config);
  const specs = parameterSpecs(d);
  const inputs = specs.map((spec, i) => {
    const values = randomValues(sizeOf(spec.shape), 100 + i, 0.4);
    return { shape: [...spec.shape], values: spec.init === 'ones' ? values.map((v) => 1 + v) : values };
  });
  const asMap = (tensors: tf.Tensor[]): ParameterMap => new Map(specs.map((spec, i) => [spec.name, tensors[i] as tf.Variable]));
  return { d, specs, inputs, asMap };
}

describe('attention and the whole decoder', () => {
  for (const qwen of [false, true]) {
    it(`${qwen ? 'qwen2 (bias, tied)' : 'llama (GQA)'}: every parameter and the attention input have finite-difference-correct gradients, with left padding`, () => {
      const { d, specs, inputs, asMap } = tinyModel(qwen);
      const packed = leftPad([[1, 2, 3, 4], [5, 6]]);
      const rotate = tf.tensor2d(rotateHalfMatrix(d.headDim), [d.headDim, d.headDim]);
      const make = (): DecoderInputs => decoderInputs(d, rotate, packed.batchSize, packed.length, packed.ids, packed.positions, packed.mask, 0);
      // Padding positions' outputs are garbage by design; weight only real positions.
      const realMask = tf.tensor3d(Float32Array.from(packed.mask), [packed.batchSize, packed.length, 1]);
      const check = gradientCheck((...tensors) => {
        const { hidden } = decoderHidden(asMap(tensors), d, make());
        const logits = lmLogits(asMap(tensors), d, tf.reshape(hidden, [-1, d.hidden]) as tf.Tensor2D);
        return projectToScalar(tf.mul(tf.reshape(logits, [packed.batchSize, packed.length, -1]), realMask));
      }, inputs, { maxCoordinates: 6 });
      expect(check.checked).toBeGreaterThan(specs.length * 3);
      expect(check.largestGradient).toBeGreaterThan(0.05);
      expect(check.worst).toBeLessThan(TOLERANCE);
      // The attention block alone, with respect to its input.
      const layerInput = random([packed.batchSize, packed.length, d.hidden], 55);
      const tensors = inputs.map((input) => tf.tensor(input.values, input.shape));
      const attentionCheck = gradientCheck((x) => {
        const { output } = attention(x as tf.Tensor3D, asMap(tensors), 0, d, make(), undefined);
        return projectToScalar(tf.mul(output, realMask));
      }, [layerInput]);
      expect(attentionCheck.worst).toBeLessThan(TOLERANCE);
      tf.dispose([...tensors, rotate, realMask]);
    });
  }
});
