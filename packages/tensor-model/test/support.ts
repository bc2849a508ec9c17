/** Shared helpers of this package's tests: backend set-up, finite differences, random tensors. */
import * as tf from '@tensorflow/tfjs';
import { SeededRng } from '@oreal-ts/core';
import { initBackend } from '../src/backend';

/** Activate the backend `initBackend` picks (wasm here), quietly. */
export async function setupBackend(): Promise<void> {
  await initBackend({ quiet: true });
}

/** Normal(0, scale) values from a seed. */
export function randomValues(size: number, seed: number | string, scale = 1): Float32Array {
  const rng = new SeededRng(seed);
  return Float32Array.from({ length: size }, () => rng.normal() * scale);
}

/** A random float32 tensor of `shape`. */
export function randomTensor(shape: number[], seed: number | string, scale = 1): tf.Tensor {
  return tf.tensor(randomValues(shape.reduce((a, b) => a * b, 1), seed, scale), shape);
}

export interface GradientCheckResult {
  /** Largest |numeric − analytic| / (1 + |analytic|) over the checked coordinates. */
  readonly worst: number;
  readonly checked: number;
  /** Largest |analytic| seen (to make sure the check is not vacuous). */
  readonly largestGradient: number;
}

/**
 * Compare tfjs gradients of `f` (scalar) with central finite differences, for every input
 * coordinate (or a seeded sample of `maxCoordinates` per input). f must be smooth near the inputs.
 */
export function gradientCheck(
  f: (...inputs: tf.Tensor[]) => tf.Scalar,
  inputs: { shape: number[]; values: Float32Array }[],
  options: { step?: number; maxCoordinates?: number; seed?: number } = {},
): GradientCheckResult {
  const step = options.step ?? 1e-2;
  const maxCoordinates = options.maxCoordinates ?? 24;
  const rng = new SeededRng(options.seed ?? 7);
  const evaluate = (values: Float32Array[]): number =>
    tf.tidy(() => f(...values.map((v, i) => tf.tensor(v, (inputs[i] as { shape: number[] }).shape))).dataSync()[0] as number);
  const analytic = tf.tidy(() => {
    const tensors = inputs.map((input) => tf.tensor(input.values, input.shape));
    return tf.grads((...xs: tf.Tensor[]) => f(...xs))(tensors).map((g) => g.dataSync() as Float32Array);
  });
  let worst = 0;
  let checked = 0;
  let largestGradient = 0;
  inputs.forEach((input, which) => {
    const size = input.values.length;
    const coordinates = size <= maxCoordinates ? Array.from({ length: size }, (_, i) => i) : Array.from({ length: maxCoordinates }, () => rng.int(size));
    for (const i of coordinates) {
      const plus = inputs.map((x) => x.values.slice());
      const minus = inputs.map((x) => x.values.slice());
      (plus[which] as Float32Array)[i] = (input.values[i] as number) + step;
      (minus[which] as Float32Array)[i] = (input.values[i] as number) - step;
      const numeric = (evaluate(plus) - evaluate(minus)) / (2 * step);
      const exact = (analytic[which] as Float32Array)[i] as number;
      worst = Math.max(worst, Math.abs(numeric - exact) / (1 + Math.abs(exact)));
      largestGradient = Math.max(largestGradient, Math.abs(exact));
      checked += 1;
    }
  });
  return { worst, checked, largestGradient };
}

/** `sum(y ⊙ R)` with a fixed random R: turns any op into a scalar whose gradient exercises every output. */
export function projectToScalar(y: tf.Tensor, seed = 99): tf.Scalar {
  return tf.sum(tf.mul(y, randomTensor(y.shape, seed))) as tf.Scalar;
}

/** Largest absolute difference between two arrays. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

/** What `decodeAgainstFullForward` needs of a policy. */
interface DecodingPolicy {
  startDecoding(promptIds: readonly (readonly number[])[]): Promise<{ prefill(): Promise<Float32Array[]>; step(ids: readonly number[]): Promise<Float32Array[]>; dispose(): void }>;
  logits(rows: readonly (readonly number[])[]): Promise<Float32Array[][]>;
}

/**
 * Decode `generated[r]` after `prompts[r]` with the KV cache (prefill, then one step per token) and
 * return the per-step logits together with the largest |Δ| from a full forward of each
 * prompt + generated row (logits at the same positions).
 */
export async function decodeAgainstFullForward(
  policy: DecodingPolicy,
  prompts: readonly (readonly number[])[],
  generated: readonly (readonly number[])[],
): Promise<{ incremental: Float32Array[][]; worst: number }> {
  const steps = generated[0]?.length ?? 0;
  const session = await policy.startDecoding(prompts);
  const incremental = [await session.prefill()];
  for (let step = 0; step < steps; step++) incremental.push(await session.step(generated.map((row) => row[step] as number)));
  session.dispose();
  let worst = 0;
  for (let r = 0; r < prompts.length; r++) {
    const prompt = prompts[r] as readonly number[];
    const full = (await policy.logits([[...prompt, ...(generated[r] as readonly number[])]]))[0] as Float32Array[];
    for (let step = 0; step <= steps; step++) {
      worst = Math.max(worst, maxAbsDifference(incremental[step]?.[r] as Float32Array, full[prompt.length - 1 + step] as Float32Array));
    }
  }
  return { incremental, worst };
}
