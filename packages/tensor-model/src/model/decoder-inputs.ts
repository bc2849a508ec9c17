/** Host arrays → the tensors one decoder call needs (rotary tables, attention bias, ids). */
import * as tf from '@tensorflow/tfjs';
import type { ModelDimensions } from '../config';
import { attentionBias, MASKED, rotaryTables } from './inputs';
import type { DecoderInputs } from './transformer';
import type { DecodeStepInputs } from './decode-step';

/**
 * Tensors for T new positions per row after `past` cached keys.
 * `ids` and `positions` are [B·T]; `keyMask` is [B·T_k] over all keys (cached + new), T_k = past + T.
 */
export function decoderInputs(
  d: ModelDimensions,
  rotateHalf: tf.Tensor2D,
  batchSize: number,
  time: number,
  ids: Int32Array,
  positions: Int32Array,
  keyMask: Uint8Array,
  past: number,
): DecoderInputs {
  const keys = past + time;
  const { cos, sin } = rotaryTables(positions, d.headDim, d.ropeTheta);
  return {
    ids: tf.tensor2d(ids, [batchSize, time], 'int32'),
    cos: tf.tensor4d(cos, [batchSize, time, 1, d.headDim]),
    sin: tf.tensor4d(sin, [batchSize, time, 1, d.headDim]),
    bias: tf.tensor(attentionBias(keyMask, batchSize, time, keys, past), [batchSize, 1, 1, time, keys]),
    rotateHalf,
  };
}

/**
 * Tensors for one decoding step (one new token per row, see `decode-step.ts`): `ids` and
 * `positions` are [B]; `keyMask` is [B·T_k] over all keys (cached + this step's, T_k = length + 1);
 * the bias covers `capacity` ≥ T_k cache slots, the slots past T_k masked.
 * The rotary tables are tiled per head row of q|k|v ([B, H + 2H_kv, D]): query rows carry the
 * 1/√D scale, value rows are the identity (cos 1, sin 0).
 */
export function decodeStepInputs(
  d: ModelDimensions,
  rotateHalf: tf.Tensor2D,
  ids: Int32Array,
  positions: Int32Array,
  keyMask: Uint8Array,
  capacity: number,
): DecodeStepInputs {
  const batchSize = ids.length;
  const keys = keyMask.length / batchSize;
  const { heads, kvHeads, headDim } = d;
  const rowsWidth = heads + 2 * kvHeads;
  const { cos, sin } = rotaryTables(positions, headDim, d.ropeTheta); // [B·D] each
  const scale = 1 / Math.sqrt(headDim);
  const tiledCos = new Float32Array(batchSize * rowsWidth * headDim);
  const tiledSin = new Float32Array(batchSize * rowsWidth * headDim);
  for (let b = 0; b < batchSize; b++) {
    for (let h = 0; h < rowsWidth; h++) {
      const offset = (b * rowsWidth + h) * headDim;
      for (let i = 0; i < headDim; i++) {
        const c = cos[b * headDim + i] as number;
        const s = sin[b * headDim + i] as number;
        if (h < heads) {
          tiledCos[offset + i] = c * scale;
          tiledSin[offset + i] = s * scale;
        } else if (h < heads + kvHeads) {
          tiledCos[offset + i] = c;
          tiledSin[offset + i] = s;
        } else {
          tiledCos[offset + i] = 1;
        }
      }
    }
  }
  const bias = new Float32Array(batchSize * capacity).fill(MASKED);
  for (let b = 0; b < batchSize; b++) for (let j = 0; j < keys; j++) if (keyMask[b * keys + j]) bias[b * capacity + j] = 0;
  return {
    cos: tf.tensor3d(tiledCos, [batchSize, rowsWidth, headDim]),
    sin: tf.tensor3d(tiledSin, [batchSize, rowsWidth, headDim]),
    bias: tf.tensor3d(bias, [batchSize, 1, capacity]),
    length: keys - 1,
    rotateHalf,
  };
}
