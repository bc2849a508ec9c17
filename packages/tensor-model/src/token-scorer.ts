/**
 * `TransformerTokenScorer`: OREAL's token-level reward model backbone. The policy's decoder
 * (weights copied from the policy) with the LM head replaced by a linear head to ONE logit, no
 * bias. `s_t` is read at the position whose LM logits would predict response token y_t (the
 * state before emitting y_t), i.e. s_t = h_{t−1} · w with h the final normed hidden state.
 *
 * Checkpoints follow `LlamaForTokenClassification` / `Qwen2ForTokenClassification` (num_labels 1):
 * the backbone's `model.*` tensors plus `score.weight` [1, C].
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, SeededRng, type PerTokenValues, type TokenBatch, type TokenScorer } from '@oreal-ts/core';
import type { TransformerConfig } from './config';
import { huggingFaceParts, type HuggingFacePart } from './checkpoint/hf-names';
import { names, parameterSpecs, type ParameterSpec } from './model/parameters';
import { TrainableDecoder, readTrainerState } from './model/trainable-decoder';
import { matMul2d } from './ops/matmul';
import { dimensionsOf } from './config';
import { readCheckpointConfig, type TransformerPolicy } from './policy';
import type { TrainingOptions } from './training/options';

/** Internal name of the one-logit head, [C, 1]. */
export const SCORE_HEAD = 'score';

/** A trainable per-token scorer with the policy's architecture. */
export interface TransformerTokenScorer extends TokenScorer {
  readonly config: TransformerConfig;
  readonly trainingOptions: TrainingOptions;
  readonly step: number;
  setTrainingOptions(training: Partial<TrainingOptions>): void;
  save(dir: string, options?: { maxShardBytes?: number }): Promise<void>;
}

function scorerSpecs(config: TransformerConfig): ParameterSpec[] {
  const d = dimensionsOf(config);
  return [
    ...parameterSpecs(d).filter((spec) => spec.name !== names.lmHead),
    { name: SCORE_HEAD, shape: [d.hidden, 1], init: 'normal', decay: true },
  ];
}

class Scorer extends TrainableDecoder implements TransformerTokenScorer {
  constructor(config: TransformerConfig, seed: number | null, options: { training?: Partial<TrainingOptions>; id?: string }) {
    super(config, options.id ?? `oreal-ts/tensor-model/token-scorer`, scorerSpecs(config), seed, options.training ?? {}, 'scorer');
  }

  protected huggingFaceParts(): HuggingFacePart[] {
    return [
      ...huggingFaceParts(this.dimensions, { lmHead: false }),
      { hfName: 'score.weight', shape: [1, this.dimensions.hidden], internal: SCORE_HEAD, kind: 'matrix', offset: 0 },
    ];
  }

  protected configExtras(): Record<string, unknown> {
    return { architectures: [this.config.model_type === 'qwen2' ? 'Qwen2ForTokenClassification' : 'LlamaForTokenClassification'], num_labels: 1 };
  }

  protected headValues(hidden: tf.Tensor3D): tf.Tensor2D {
    const [batch, width, channels] = hidden.shape;
    const head = this.parameters.get(SCORE_HEAD) as tf.Variable;
    return tf.reshape(matMul2d(tf.reshape(hidden, [batch * width, channels]), head as unknown as tf.Tensor2D), [batch, width]); // s_t  [B, R]
  }

  scores(batch: TokenBatch): Promise<PerTokenValues> {
    return this.valuesWithoutGradient(batch);
  }
}

/**
 * A token scorer whose backbone is a copy of `from`'s current weights; the head is normal(0,
 * initializer_range) from `seed` (default 0). A zero head would make every s_t = 0 and every OREAL
 * token weight ω = clamp(±(2σ(0) − 1)) = 0 at the start, so a small random head is used instead.
 */
export function createTokenScorer(
  from: TransformerPolicy,
  options: { training?: Partial<TrainingOptions>; seed?: number; id?: string } = {},
): TransformerTokenScorer {
  if (!(from instanceof TrainableDecoder)) {
    throw new InvalidArgumentError('from', 'must be a policy made by createTransformerPolicy or loadTransformerPolicy');
  }
  const scorer = new Scorer(from.config, null, options);
  scorer.fusedAttention = from.fusedAttention; // the backbone's attention, as the policy's
  const policyParameters = from.parameters;
  for (const [name, variable] of scorer.parameters) {
    const source = policyParameters.get(name);
    if (source) variable.assign(source);
  }
  const head = scorer.parameters.get(SCORE_HEAD) as tf.Variable;
  const rng = new SeededRng(options.seed ?? 0).fork(SCORE_HEAD);
  const values = new Float32Array(head.size);
  for (let i = 0; i < values.length; i++) values[i] = rng.normal() * from.config.initializer_range;
  tf.tidy(() => head.assign(tf.tensor(values, head.shape)));
  // With tied embeddings the policy has no lm_head; untied, the LM head is simply not copied.
  return scorer;
}

/** Load a token scorer saved by `save` (config.json + weights + optional optimiser state). */
export async function loadTokenScorer(dir: string, options: { training?: Partial<TrainingOptions>; id?: string } = {}): Promise<TransformerTokenScorer> {
  const config = await readCheckpointConfig(dir);
  const saved = await readTrainerState(dir);
  const scorer = new Scorer(config, null, { ...options, training: { ...saved?.options, ...options.training } });
  try {
    await scorer.load(dir);
    if (options.training) scorer.setTrainingOptions(options.training);
  } catch (error) {
    scorer.dispose();
    throw error;
  }
  return scorer;
}
