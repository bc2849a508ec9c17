import type { LossWithGradient, PerTokenValues, TokenBatch } from '@oreal-ts/core';
import type { Datum, ForwardBackwardInput, TensorData } from '@oreal-ts/tinker';
import { UserInputError } from './futures';

/** Concatenated token ids of a model input's chunks. */
export function modelInputTokens(input: {
  readonly chunks: readonly { readonly tokens: readonly number[] }[];
}): number[] {
  return input.chunks.flatMap((chunk) => chunk.tokens);
}

function lossInput(datum: Datum, name: string, index: number, length: number): number[] {
  const tensor: TensorData | undefined = datum.loss_fn_inputs[name];
  if (!tensor) throw new UserInputError(`data[${index}].loss_fn_inputs.${name} is missing`);
  if (tensor.data.length !== length) {
    throw new UserInputError(
      `data[${index}].loss_fn_inputs.${name} has ${tensor.data.length} values, model_input has ${length} tokens (they must be equal)`,
    );
  }
  return tensor.data;
}

/**
 * Tinker data → the tfjs policy's `TokenBatch`. Datum i's model input is full[:-1] and its
 * `target_tokens` are full[1:]. Without `promptLengths` the whole first token is the "prompt" and
 * every target a "response" token (promptIds = [full[0]], responseIds = full[1:]), so the policy's
 * per-token log-probs are exactly Tinker's per-position log-probs. With `promptLengths` (the
 * oreal-ts `prompt-split` extension) datum i is laid out as prompt full[:P] and response full[P:],
 * exactly as an in-process caller's batch (so the sums run in the same order, bit for bit), and
 * positions before P − 1 carry no log-prob (0). Departure: the local server requires the targets
 * to be the input shifted by one (a causal LM's own sequence); other targets are refused.
 */
export function dataToBatch(data: readonly Datum[], promptLengths?: readonly number[]): TokenBatch {
  if (data.length === 0) throw new UserInputError('data is empty: give at least one datum');
  if (promptLengths && promptLengths.length !== data.length) {
    throw new UserInputError(
      `oreal_prompt_lengths has ${promptLengths.length} entries for ${data.length} datums`,
    );
  }
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
    const promptLength = promptLengths?.[i] ?? 1;
    if (promptLength < 1 || promptLength > input.length) {
      throw new UserInputError(
        `oreal_prompt_lengths[${i}] is ${promptLength}; it must be in 1..${input.length} (the model input's length)`,
      );
    }
    const full = [...input, Math.trunc(targets[targets.length - 1] as number)];
    promptIds.push(full.slice(0, promptLength));
    responseIds.push(full.slice(promptLength));
  });
  return { promptIds, responseIds };
}

/**
 * The per-token loss of a Tinker `forward_backward`, as core's `PerTokenLoss` over log-probs ℓ:
 * - `cross_entropy`: loss = Σ −wᵢ·ℓᵢ, ∂loss/∂ℓᵢ = −wᵢ (exactly the client's weights, negated);
 * - `importance_sampling`: loss = −Σ exp(ℓᵢ − ℓˢᵢ)·Aᵢ, ∂loss/∂ℓᵢ = −exp(ℓᵢ − ℓˢᵢ)·Aᵢ.
 * With `promptLengths`, response token t of datum r is position P_r − 1 + t, and a non-zero
 * weight (or advantage) on an earlier position is refused (its log-prob is not computed).
 */
export function tinkerLoss(
  input: ForwardBackwardInput,
  promptLengths?: readonly number[],
): (values: PerTokenValues) => LossWithGradient {
  const lengths = input.data.map((datum) => modelInputTokens(datum.model_input).length);
  const offsets = input.data.map((_, i) => (promptLengths?.[i] ?? 1) - 1);
  const perPosition = (name: string) =>
    input.data.map((datum, i) => {
      const values = lossInput(datum, name, i, lengths[i] as number);
      const offset = offsets[i] as number;
      const early = values.slice(0, offset).findIndex((v) => v !== 0);
      if (early >= 0 && name !== 'logprobs') {
        throw new UserInputError(
          `data[${i}].loss_fn_inputs.${name}[${early}] is non-zero on a prompt position (oreal_prompt_lengths[${i}] = ${offset + 1}); prompt positions carry no loss`,
        );
      }
      return values.slice(offset);
    });
  if (input.loss_fn === 'cross_entropy') {
    const weights = perPosition('weights');
    return (values) => {
      let loss = 0;
      const gradient = values.map((row, r) =>
        row.map((logProb, t) => {
          const w = (weights[r] as number[])[t] as number;
          loss += -w * logProb;
          return -w;
        }),
      );
      return { loss, gradient };
    };
  }
  const samplerLogProbs = perPosition('logprobs');
  const advantages = perPosition('advantages');
  return (values) => {
    let loss = 0;
    const gradient = values.map((row, r) =>
      row.map((logProb, t) => {
        const weighted =
          Math.exp(logProb - ((samplerLogProbs[r] as number[])[t] as number)) *
          ((advantages[r] as number[])[t] as number);
        loss += -weighted;
        return -weighted;
      }),
    );
    return { loss, gradient };
  };
}

/** Per-datum `loss_fn_outputs`: the log-probs of the targets as float32 tensors (0 before P − 1 with `promptLengths`). */
export function lossFnOutputs(
  values: PerTokenValues,
  promptLengths?: readonly number[],
): { logprobs: TensorData }[] {
  return values.map((row, i) => {
    const data = [...new Array<number>((promptLengths?.[i] ?? 1) - 1).fill(0), ...row];
    return { logprobs: { data, dtype: 'float32', shape: [data.length] } };
  });
}
