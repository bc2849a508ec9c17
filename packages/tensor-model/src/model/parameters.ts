/**
 * The model's parameters: names, shapes and initialisation.
 *
 * Internal layout differs from Hugging Face's in one way, for speed on CPU backends, and the
 * checkpoint code converts both ways (`checkpoint/hf-names.ts`): linear weights are stored
 * [in, out] (so `x·W` needs no transpose); HF stores [out, in]. Projections are NOT fused
 * (q|k|v, gate|up): splitting a fused output along its last axis cost more on wasm (SplitV and,
 * in the backward pass, Concat: 16% of a training step, measured) than the extra matMul calls.
 */
import * as tf from '@tensorflow/tfjs';
import { SeededRng } from '@oreal-ts/core';
import type { ModelDimensions } from '../config';

/** How a parameter is initialised. */
export type Initialiser = 'normal' | 'ones' | 'zeros';

/** One parameter's description. */
export interface ParameterSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: Initialiser;
  /** Whether AdamW's decoupled weight decay applies (matrices yes; norms and biases no). */
  readonly decay: boolean;
}

/** Internal parameter names. */
export const names = {
  embed: 'embed_tokens',
  finalNorm: 'norm',
  lmHead: 'lm_head',
  inputNorm: (layer: number) => `layers.${layer}.input_layernorm`,
  queryWeight: (layer: number) => `layers.${layer}.q_proj.weight`,
  queryBias: (layer: number) => `layers.${layer}.q_proj.bias`,
  keyWeight: (layer: number) => `layers.${layer}.k_proj.weight`,
  keyBias: (layer: number) => `layers.${layer}.k_proj.bias`,
  valueWeight: (layer: number) => `layers.${layer}.v_proj.weight`,
  valueBias: (layer: number) => `layers.${layer}.v_proj.bias`,
  outputWeight: (layer: number) => `layers.${layer}.o_proj.weight`,
  outputBias: (layer: number) => `layers.${layer}.o_proj.bias`,
  postNorm: (layer: number) => `layers.${layer}.post_attention_layernorm`,
  gateWeight: (layer: number) => `layers.${layer}.gate_proj.weight`,
  upWeight: (layer: number) => `layers.${layer}.up_proj.weight`,
  downWeight: (layer: number) => `layers.${layer}.down_proj.weight`,
} as const;

/** Every parameter of a model with these dimensions, in a stable order. */
export function parameterSpecs(d: ModelDimensions): ParameterSpec[] {
  const queryWidth = d.heads * d.headDim;
  const keyWidth = d.kvHeads * d.headDim;
  const specs: ParameterSpec[] = [{ name: names.embed, shape: [d.vocabSize, d.hidden], init: 'normal', decay: true }];
  for (let layer = 0; layer < d.layers; layer++) {
    specs.push({ name: names.inputNorm(layer), shape: [d.hidden], init: 'ones', decay: false });
    specs.push({ name: names.queryWeight(layer), shape: [d.hidden, queryWidth], init: 'normal', decay: true });
    specs.push({ name: names.keyWeight(layer), shape: [d.hidden, keyWidth], init: 'normal', decay: true });
    specs.push({ name: names.valueWeight(layer), shape: [d.hidden, keyWidth], init: 'normal', decay: true });
    if (d.qkvBias) {
      specs.push({ name: names.queryBias(layer), shape: [queryWidth], init: 'zeros', decay: false });
      specs.push({ name: names.keyBias(layer), shape: [keyWidth], init: 'zeros', decay: false });
      specs.push({ name: names.valueBias(layer), shape: [keyWidth], init: 'zeros', decay: false });
    }
    specs.push({ name: names.outputWeight(layer), shape: [d.heads * d.headDim, d.hidden], init: 'normal', decay: true });
    if (d.outputBias) specs.push({ name: names.outputBias(layer), shape: [d.hidden], init: 'zeros', decay: false });
    specs.push({ name: names.postNorm(layer), shape: [d.hidden], init: 'ones', decay: false });
    specs.push({ name: names.gateWeight(layer), shape: [d.hidden, d.intermediate], init: 'normal', decay: true });
    specs.push({ name: names.upWeight(layer), shape: [d.hidden, d.intermediate], init: 'normal', decay: true });
    specs.push({ name: names.downWeight(layer), shape: [d.intermediate, d.hidden], init: 'normal', decay: true });
  }
  specs.push({ name: names.finalNorm, shape: [d.hidden], init: 'ones', decay: false });
  if (!d.tied) specs.push({ name: names.lmHead, shape: [d.hidden, d.vocabSize], init: 'normal', decay: true });
  return specs;
}

/** Number of scalars in a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Initial values, computed in JS from a seeded generator so the same seed gives bit-identical
 * weights on every backend: normal(0, std) for matrices and embeddings (HF `initializer_range`),
 * ones for RMSNorm weights, zeros for biases.
 */
export function initialValues(spec: ParameterSpec, rng: SeededRng, std: number): Float32Array {
  const values = new Float32Array(sizeOf(spec.shape));
  if (spec.init === 'ones') values.fill(1);
  else if (spec.init === 'normal') for (let i = 0; i < values.length; i++) values[i] = rng.normal() * std;
  return values;
}

/** Named trainable variables. */
export type ParameterMap = Map<string, tf.Variable>;

/** Create the variables of a model, initialised from `seed` (or zeros when `seed` is null, e.g. before loading). */
export function createParameters(specs: readonly ParameterSpec[], seed: number | null, std: number, prefix: string): ParameterMap {
  const rng = new SeededRng(seed ?? 0);
  const map: ParameterMap = new Map();
  for (const spec of specs) {
    const values = seed === null ? new Float32Array(sizeOf(spec.shape)) : initialValues(spec, rng.fork(spec.name), std);
    const name = `${prefix}/${spec.name}/${uniqueSuffix()}`;
    const variable = tf.tidy(() => tf.variable(tf.tensor(values, [...spec.shape], 'float32'), true, name));
    map.set(spec.name, variable);
  }
  return map;
}

let counter = 0;
/** Variable names must be unique per engine; several models coexist (policy, reference, reward model). */
function uniqueSuffix(): string {
  counter += 1;
  return String(counter);
}
