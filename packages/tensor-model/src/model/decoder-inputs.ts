/** Host arrays → the tensors one decoder call needs (rotary tables, attention bias, ids). */
import * as tf from '@tensorflow/tfjs';
import type { ModelDimensions } from '../config';
import { attentionBias, rotaryTables } from './inputs';
import type { DecoderInputs } from './transformer';

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
