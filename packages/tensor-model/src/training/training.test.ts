import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, TrainingDivergedError } from '@oreal-ts/core';
import { setupBackend } from '../../test/support';
import { scheduledLearningRate } from './schedule';
import { resolveTrainingOptions } from './options';
import { adamWUpdate } from './adamw';
import { globalNorm, ParameterTrainer } from './parameter-trainer';

beforeAll(setupBackend);

describe('scheduledLearningRate', () => {
  const options = { learningRate: 1, warmupSteps: 4, totalSteps: 14, minLearningRateRatio: 0.1 };
  it('warms up linearly, then follows a cosine to the floor and stays there', () => {
    expect([0, 1, 2, 3].map((s) => scheduledLearningRate(options, s))).toEqual([0.25, 0.5, 0.75, 1]);
    expect(scheduledLearningRate(options, 4)).toBeCloseTo(1, 12);
    expect(scheduledLearningRate(options, 9)).toBeCloseTo(0.1 + 0.9 * 0.5, 12); // half-way: cos(π/2) = 0
    expect(scheduledLearningRate(options, 14)).toBeCloseTo(0.1, 12);
    expect(scheduledLearningRate(options, 100)).toBeCloseTo(0.1, 12);
    expect(scheduledLearningRate({ ...options, totalSteps: 0 }, 50)).toBe(1);
  });
});

describe('resolveTrainingOptions', () => {
  it('fills documented defaults and names a bad field', () => {
    expect(resolveTrainingOptions({ learningRate: 0.1 })).toEqual({
      learningRate: 0.1, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, warmupSteps: 0, totalSteps: 0, minLearningRateRatio: 0, gradClipNorm: 1,
    });
    expect(() => resolveTrainingOptions({ beta2: 1 })).toThrow(ConfigError);
    expect(() => resolveTrainingOptions({ learningRate: -1 })).toThrow(/training.learningRate/);
  });
});

describe('adamWUpdate', () => {
  it('matches the AdamW equations over three steps, decay decoupled from the moments', () => {
    const hyper = { learningRate: 0.1, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.5 };
    const parameter = tf.variable(tf.tensor1d([1, -2]));
    const m = tf.variable(tf.zeros([2]));
    const v = tf.variable(tf.zeros([2]));
    const gradients = [[0.5, 1], [-0.25, 2], [1, -1]];
    // Scalar re-derivation of torch.optim.AdamW.
    let theta = [1, -2];
    let m1 = [0, 0];
    let v1 = [0, 0];
    gradients.forEach((g, i) => {
      const step = i + 1;
      const gradient = tf.tensor1d(g);
      adamWUpdate(parameter, gradient, m, v, { ...hyper, step });
      gradient.dispose();
      m1 = m1.map((x, k) => 0.9 * x + 0.1 * (g[k] as number));
      v1 = v1.map((x, k) => 0.99 * x + 0.01 * (g[k] as number) ** 2);
      theta = theta.map((p, k) => {
        const mHat = (m1[k] as number) / (1 - 0.9 ** step);
        const vHat = (v1[k] as number) / (1 - 0.99 ** step);
        return p * (1 - 0.1 * 0.5) - (0.1 * mHat) / (Math.sqrt(vHat) + 1e-8);
      });
    });
    const got = Array.from(parameter.dataSync());
    theta.forEach((expected, k) => expect(got[k]).toBeCloseTo(expected, 5));
    tf.dispose([parameter, m, v]);
  });
});

describe('ParameterTrainer', () => {
  it('accumulates, clips by the global norm, reports, and refuses non-finite gradients', () => {
    const w = tf.variable(tf.tensor1d([0, 0]));
    const b = tf.variable(tf.tensor1d([0]));
    const trainer = new ParameterTrainer(new Map([['w', w], ['b', b]]), (name) => name === 'w', resolveTrainingOptions({ learningRate: 0.1, gradClipNorm: 1, weightDecay: 0 }));
    trainer.accumulate({ w: tf.tensor1d([3, 0]), b: tf.tensor1d([0]) });
    trainer.accumulate({ w: tf.tensor1d([0, 0]), b: tf.tensor1d([4]) });
    expect(trainer.pendingCalls).toBe(2);
    const report = trainer.apply();
    expect(report).toEqual({ step: 1, gradNorm: 5, clipped: true, learningRate: 0.1 });
    // First Adam step moves each coordinate with a non-zero gradient by ≈ lr·sign(g), whatever the clip scale.
    expect(Array.from(w.dataSync()).map((x) => Math.round(x * 1000) / 1000)).toEqual([-0.1, 0]);
    expect(b.dataSync()[0]).toBeCloseTo(-0.1, 5);
    expect(globalNorm([tf.tensor1d([3]), tf.tensor1d([4])])).toBe(5);
    trainer.accumulate({ w: tf.tensor1d([Infinity, 0]) });
    expect(() => trainer.apply()).toThrow(TrainingDivergedError);
    expect(trainer.pendingCalls).toBe(0);
    expect(trainer.stepCount).toBe(1);
    expect(Array.from(w.dataSync()).map((x) => Math.round(x * 1000) / 1000)).toEqual([-0.1, 0]);
    trainer.dispose();
    tf.dispose([w, b]);
  });
});
