import type { LossWithGradient, PerTokenValues, TokenBatch } from '@oreal-ts/core';
import type { Datum, ForwardBackwardInput, TensorData } from '@oreal-ts/tinker';
import { UserInputError } from './futures';

/** Concatenated token ids of a model input's chunks. */
export function modelInputTokens(input: { readonly chunks: readonly { readonly tokens: readonly number[] }[] }): number[] {
  return input.chunks.flatMap((chunk) => chunk.tokens);
}

function lossInput(datum: Datum, name: string, index: number, length: number): number[] {
  const tensor: TensorData | undefined = datum.loss_fn_inputs[name];
  if (!tensor) throw new UserInputError(`data[${index}].loss_fn_inputs.${name} is missing`);
  if (tensor.data.length !== length) {
    throw new UserInputError(`data[${index}].loss_fn_inputs.${name} has ${tensor.data.length} values, model_input has ${length} tokens (they must be equal)`);
  }
  return tensor.data;
}

/**
 * Tinker data → the tfjs policy's `TokenBatch`. Datum i's model input is full[:-1] and its
 * `target_tokens` are full[1:]; the whole first token is the "prompt" and every target a
 * "response" token (promptIds = [full[0]], responseIds = full[1:]), so the policy's per-token
 * log-probs are exactly Tinker's per-position log-probs. Departure: the local server requires the
 * targets to be the input shifted by one (a causal LM's own sequence); other targets are refused.
 */
export function dataToBatch(data: readonly Datum[]): TokenBatch {
  if (data.length === 0) throw new UserInputError('data is empty: give at least one datum');
  const promptIds: number[][] = [];
  const responseIds: number[][] = [];
  data.forEach((datum, i) => {
    const input = modelInputTokens(datum.model_input);
    if (input.length === 0) throw new UserInputError(`data[${i}].model_input has no tokens`);
    const targets = lossInput(datum, 'target_tokens', i, input.length);
    for (let t = 0; t + 1 < input.length; t++) {
      if (targets[t] !== input[t + 1]) {
        throw new UserInputError(
          `data[${i}].loss_fn_inputs.target_tokens[${t}] is ${targets[t]} but model_input[${t + 1}] is ${input[t + 1]}: the local server only trains on targets = model_input shifted by one`,
        );
      }
    }
    promptIds.push([input[0] as number]);
    responseIds.push(targets.map((id) => Math.trunc(id)));
  });
  return { promptIds, responseIds };
}

/**
 * The per-token loss of a Tinker `forward_backward`, as core's `PerTokenLoss` over log-probs ℓ:
 * - `cross_entropy`: loss = Σ −wᵢ·ℓᵢ, ∂loss/∂ℓᵢ = −wᵢ (exactly the client's weights, negated);
 * - `importance_sampling`: loss = −Σ exp(ℓᵢ − ℓˢᵢ)·Aᵢ, ∂loss/∂ℓᵢ = −exp(ℓᵢ − ℓˢᵢ)·Aᵢ.
 */
export function tinkerLoss(input: ForwardBackwardInput): (values: PerTokenValues) => LossWithGradient {
  const lengths = input.data.map((datum) => modelInputTokens(datum.model_input).length);
  if (input.loss_fn === 'cross_entropy') {
    const weights = input.data.map((datum, i) => lossInput(datum, 'weights', i, lengths[i] as number));
    return (values) => {
      let loss = 0;
      const gradient = values.map((row, r) => row.map((logProb, t) => {
        const w = (weights[r] as number[])[t] as number;
        loss += -w * logProb;
        return -w;
      }));
      return { loss, gradient };
    };
  }
  const samplerLogProbs = input.data.map((datum, i) => lossInput(datum, 'logprobs', i, lengths[i] as number));
  const advantages = input.data.map((datum, i) => lossInput(datum, 'advantages', i, lengths[i] as number));
  return (values) => {
    let loss = 0;
    const gradient = values.map((row, r) => row.map((logProb, t) => {
      const weighted = Math.exp(logProb - ((samplerLogProbs[r] as number[])[t] as number)) * ((advantages[r] as number[])[t] as number);
      loss += -weighted;
      return -weighted;
    }));
    return { loss, gradient };
  };
}

/** Per-datum `loss_fn_outputs`: the log-probs of the targets as float32 tensors. */
export function lossFnOutputs(values: PerTokenValues): { logprobs: TensorData }[] {
  return values.map((row) => ({ logprobs: { data: row, dtype: 'float32', shape: [row.length] } }));
}
