/**
 * Gradient accumulation, global-norm clipping and AdamW for a set of named variables, with a
 * state that serialises for exact resume (moments, step count, pending accumulated gradients).
 */
import * as tf from '@tensorflow/tfjs';
import { TrainingDivergedError, type OptimizerStepReport } from '@oreal-ts/core';
import { adamWUpdate } from './adamw';
import { scheduledLearningRate } from './schedule';
import type { TrainingOptions } from './options';
import type { ParameterMap } from '../model/parameters';

/** A named float32 array with its shape (host memory), used for saving state. */
export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** JSON part of the trainer's state. */
export interface TrainerStateJson {
  readonly step: number;
  readonly accumulatedCalls: number;
  readonly options: TrainingOptions;
}

/**
 * Global L2 norm of the gradients and the clip coefficient, as PyTorch's `clip_grad_norm_`:
 * coef = min(1, max_norm / (‖g‖ + 1e-6)).
 */
export function globalNorm(gradients: readonly tf.Tensor[]): number {
  if (gradients.length === 0) return 0;
  return tf.tidy(() => tf.sqrt(tf.addN(gradients.map((g) => tf.sum(tf.square(g))))).dataSync()[0] as number);
}

/** Optimiser state over the variables in `parameters`; `decay(name)` says which get weight decay. */
export class ParameterTrainer {
  private accumulated = new Map<string, tf.Tensor>();
  private accumulatedCalls = 0;
  private readonly firstMoments = new Map<string, tf.Variable>();
  private readonly secondMoments = new Map<string, tf.Variable>();
  private step = 0;

  constructor(
    private readonly parameters: ParameterMap,
    private readonly decays: (name: string) => boolean,
    public options: TrainingOptions,
  ) {}

  /** Optimiser steps taken. */
  get stepCount(): number {
    return this.step;
  }

  /** Number of `accumulate` calls since the last apply/clear. */
  get pendingCalls(): number {
    return this.accumulatedCalls;
  }

  /** Add gradients (keyed like `parameters`); takes ownership of (disposes) the given tensors. */
  accumulate(gradients: tf.NamedTensorMap): void {
    for (const [name, gradient] of Object.entries(gradients)) {
      const previous = this.accumulated.get(name);
      if (previous) {
        this.accumulated.set(name, tf.add(previous, gradient));
        previous.dispose();
        gradient.dispose();
      } else {
        this.accumulated.set(name, gradient);
      }
    }
    this.accumulatedCalls += 1;
  }

  /** Drop accumulated gradients. */
  clear(): void {
    for (const gradient of this.accumulated.values()) gradient.dispose();
    this.accumulated.clear();
    this.accumulatedCalls = 0;
  }

  /**
   * Clip (global norm), AdamW step with the scheduled learning rate, clear.
   * A non-finite gradient norm throws `TrainingDivergedError` after clearing the gradients;
   * weights, moments and the step count are left untouched.
   */
  apply(): OptimizerStepReport {
    // Parameter order, not accumulation order, so a resumed run sums in the same order (bit-exact).
    const names = [...this.parameters.keys()].filter((name) => this.accumulated.has(name));
    const gradNorm = globalNorm(names.map((name) => this.accumulated.get(name) as tf.Tensor));
    if (!Number.isFinite(gradNorm)) {
      this.clear();
      throw new TrainingDivergedError(this.step + 1, 'gradient norm', `is ${gradNorm}; the update was skipped and the accumulated gradients dropped (weights unchanged). Lower the learning rate or check the loss for NaN/Inf`);
    }
    const clipNorm = this.options.gradClipNorm;
    const coefficient = clipNorm > 0 ? Math.min(1, clipNorm / (gradNorm + 1e-6)) : 1;
    const learningRate = scheduledLearningRate(this.options, this.step);
    this.step += 1;
    for (const name of names) {
      const parameter = this.parameters.get(name);
      const gradient = this.accumulated.get(name) as tf.Tensor;
      if (!parameter) continue;
      const m = this.moment(this.firstMoments, name, parameter);
      const v = this.moment(this.secondMoments, name, parameter);
      adamWUpdate(parameter, gradient, m, v, {
        clip: coefficient,
        learningRate,
        beta1: this.options.beta1,
        beta2: this.options.beta2,
        epsilon: this.options.epsilon,
        weightDecay: this.decays(name) ? this.options.weightDecay : 0,
        step: this.step,
      });
    }
    this.clear();
    return { step: this.step, gradNorm, clipped: coefficient < 1, learningRate };
  }

  private moment(map: Map<string, tf.Variable>, name: string, like: tf.Variable): tf.Variable {
    let moment = map.get(name);
    if (!moment) {
      moment = tf.tidy(() => tf.variable(tf.zerosLike(like), false));
      map.set(name, moment);
    }
    return moment;
  }

  /** Serialisable state: JSON plus host tensors named `exp_avg.<p>`, `exp_avg_sq.<p>`, `grad_accum.<p>`. */
  exportState(): { json: TrainerStateJson; tensors: Map<string, HostTensor> } {
    const tensors = new Map<string, HostTensor>();
    const put = (prefix: string, map: Map<string, tf.Tensor>) => {
      for (const [name, tensor] of map) tensors.set(`${prefix}.${name}`, { shape: tensor.shape, data: tensor.dataSync() as Float32Array });
    };
    put('exp_avg', this.firstMoments);
    put('exp_avg_sq', this.secondMoments);
    put('grad_accum', this.accumulated);
    return { json: { step: this.step, accumulatedCalls: this.accumulatedCalls, options: this.options }, tensors };
  }

  /** Restore a state from `exportState` (shapes are checked by the caller). */
  importState(json: TrainerStateJson, tensors: ReadonlyMap<string, HostTensor>, options?: TrainingOptions): void {
    this.clear();
    for (const map of [this.firstMoments, this.secondMoments]) {
      for (const variable of map.values()) variable.dispose();
      map.clear();
    }
    for (const [key, host] of tensors) {
      const dot = key.indexOf('.');
      const prefix = key.slice(0, dot);
      const name = key.slice(dot + 1);
      if (!this.parameters.has(name)) continue;
      if (prefix === 'exp_avg' || prefix === 'exp_avg_sq') {
        const variable = tf.tidy(() => tf.variable(tf.tensor(host.data, [...host.shape], 'float32'), false));
        (prefix === 'exp_avg' ? this.firstMoments : this.secondMoments).set(name, variable);
      } else if (prefix === 'grad_accum') {
        this.accumulated.set(name, tf.tensor(host.data, [...host.shape], 'float32'));
      }
    }
    this.step = json.step;
    this.accumulatedCalls = json.accumulatedCalls;
    this.options = options ?? json.options;
  }

  /** Release moments and gradients. */
  dispose(): void {
    this.clear();
    for (const map of [this.firstMoments, this.secondMoments]) {
      for (const variable of map.values()) variable.dispose();
      map.clear();
    }
  }
}
