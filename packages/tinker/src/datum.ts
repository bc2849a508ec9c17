import { InvalidArgumentError } from '@oreal-ts/core';
import type { Datum, TensorData, TensorDtype } from './wire';

/** A wire tensor from a flat array: `dtype` float32 by default, 1-D `shape` unless given. */
export function tensorData(values: readonly number[], dtype: TensorDtype = 'float32', shape: readonly number[] = [values.length]): TensorData {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== values.length) throw new InvalidArgumentError('shape', `[${shape.join(', ')}] holds ${size} values, got ${values.length}`);
  if (dtype === 'int64' && values.some((v) => !Number.isInteger(v))) throw new InvalidArgumentError('values', 'int64 tensors take integers only');
  return { data: [...values], dtype, shape: [...shape] };
}

/**
 * The documented next-token alignment of one (prompt, response) pair: with full = prompt ++ response,
 * `model_input` = full[:-1], `target_tokens` = full[1:] (int64), so position i predicts full[i+1]
 * and response token t (full[P+t]) is predicted at position P−1+t. Each of `lossInputs` holds one
 * value per RESPONSE token; it is placed at those positions and is 0 at every prompt position.
 * The prompt must be non-empty (its last token predicts the first response token).
 */
export function datumFromSequence(
  promptIds: readonly number[],
  responseIds: readonly number[],
  lossInputs: Readonly<Record<string, readonly number[]>> = {},
): Datum {
  if (promptIds.length === 0) throw new InvalidArgumentError('promptIds', 'must hold at least one token (the position that predicts the first response token)');
  if (responseIds.length === 0) throw new InvalidArgumentError('responseIds', 'must hold at least one token');
  const full = [...promptIds, ...responseIds];
  const n = full.length - 1;
  const offset = promptIds.length - 1;
  const inputs: Record<string, TensorData> = { target_tokens: tensorData(full.slice(1), 'int64') };
  for (const [name, values] of Object.entries(lossInputs)) {
    if (name === 'target_tokens') throw new InvalidArgumentError(`lossInputs.${name}`, 'is derived from the sequence; do not pass it');
    if (values.length !== responseIds.length) {
      throw new InvalidArgumentError(`lossInputs.${name}`, `needs one value per response token (${responseIds.length}), got ${values.length}`);
    }
    const placed = new Array<number>(n).fill(0);
    values.forEach((value, t) => {
      placed[offset + t] = value;
    });
    inputs[name] = tensorData(placed, 'float32');
  }
  return { model_input: { chunks: [{ type: 'encoded_text', tokens: full.slice(0, -1) }] }, loss_fn_inputs: inputs };
}

/** The response positions' values of a per-position output (e.g. `loss_fn_outputs[i].logprobs.data`). */
export function responseValues(values: readonly number[], promptLength: number, responseLength: number): number[] {
  const offset = promptLength - 1;
  if (values.length < offset + responseLength) {
    throw new InvalidArgumentError('values', `expected ${promptLength + responseLength - 1} positions, got ${values.length}`);
  }
  return values.slice(offset, offset + responseLength);
}
