import {
  InvalidArgumentError,
  SampleOptionsSchema,
  SeededRng,
  assertSpecificationVersion,
  parseConfig,
} from '@oreal-ts/core';
import type {
  Policy,
  Problem,
  PromptTemplate,
  Rollout,
  RolloutGroup,
  SampleOptions,
  Sampler,
  Tokenizer,
} from '@oreal-ts/core';
import { assertPromptFits, generateSequences, type GenerationRequest } from './generate';
import { plainPrompt, renderPrompt } from './prompt-template';

/** Options of `createLocalSampler`. */
export interface LocalSamplerOptions {
  /** The model; it must implement `startDecoding` with a KV cache (left padding is the model's job). */
  readonly policy: Policy;
  /** Turns prompt text into ids and response ids back into text. */
  readonly tokenizer: Tokenizer;
  /** Problem → prompt. Default `plainPrompt` (question + boxed-answer instruction). */
  readonly prompt?: PromptTemplate;
  /** Rows (problems × n) decoded together in one session. Default 16. */
  readonly batchSize?: number;
  /** Component id. Default `oreal-ts/local-sampler`. */
  readonly id?: string;
}

/** Encode a prompt string, prepending the tokenizer's BOS id when it has one and the text did not produce it. */
export function encodePrompt(tokenizer: Tokenizer, text: string): number[] {
  const ids = tokenizer.encode(text);
  if (tokenizer.bosTokenId !== undefined && ids[0] !== tokenizer.bosTokenId)
    ids.unshift(tokenizer.bosTokenId);
  return ids;
}

/**
 * A `Sampler` over a local `Policy`: the K = `n` rollouts of every problem become rows, decoded
 * `batchSize` rows at a time with the policy's KV-cached `startDecoding` → `prefill` → `step`.
 *
 * Choices (the contract and the paper are silent):
 * - Log-probs are `log softmax(raw logits)` of the sampled token — the model's own `log π_θ` at
 *   temperature 1 before top-k/top-p — because OREAL's objective and KL terms are written in
 *   `log π_θ`; they are not the log-probs of the tempered/truncated sampling distribution.
 * - Stops: the tokenizer's EOS id plus `options.stopTokenIds`; a stop token is the last response
 *   token (the objective trains on it). A stop string is kept at the end of `text`; `tokenIds` end
 *   with the token that completed it (its text may extend past the stop string).
 * - Seeds: row (problem i, sample k) draws from `new SeededRng(seed).fork(\`${i}/${k}\`)`, so
 *   results do not depend on `batchSize` or on the other problems in the call. Without a seed, a
 *   random one is drawn per call.
 * - BOS: prepended when the tokenizer defines one and encoding did not produce it.
 */
export function createLocalSampler(options: LocalSamplerOptions): Sampler {
  assertSpecificationVersion(options.policy);
  assertSpecificationVersion(options.tokenizer);
  const batchSize = options.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InvalidArgumentError('batchSize', `must be a positive integer, got ${batchSize}`);
  }
  const { policy, tokenizer } = options;
  const template = options.prompt ?? plainPrompt;
  return {
    specificationVersion: 'v1',
    id: options.id ?? 'oreal-ts/local-sampler',
    async sample(problems: readonly Problem[], sampleOptions: SampleOptions): Promise<RolloutGroup[]> {
      const settings = parseConfig(SampleOptionsSchema, sampleOptions, 'sampleOptions');
      const seed = settings.seed ?? Math.floor(Math.random() * 2 ** 32);
      const base = new SeededRng(seed);
      const prompts = problems.map((problem) => {
        const text = renderPrompt(template, problem, tokenizer);
        const ids = encodePrompt(tokenizer, text);
        assertPromptFits(policy, ids.length, settings.maxNewTokens, `problem '${problem.id}'`);
        return { text, ids };
      });
      const requests: GenerationRequest[] = [];
      prompts.forEach((prompt, i) => {
        for (let k = 0; k < settings.n; k++)
          requests.push({ promptIds: prompt.ids, rng: base.fork(`${i}/${k}`) });
      });
      const stopTokenIds = [
        ...(settings.stopTokenIds ?? []),
        ...(tokenizer.eosTokenId === undefined ? [] : [tokenizer.eosTokenId]),
      ];
      const generated = await generateSequences(
        policy,
        tokenizer,
        requests,
        {
          temperature: settings.temperature,
          topP: settings.topP,
          ...(settings.topK === undefined ? {} : { topK: settings.topK }),
          maxNewTokens: settings.maxNewTokens,
          stopTokenIds,
          stop: settings.stop ?? [],
        },
        batchSize,
      );
      return problems.map((problem, i) => {
        const prompt = prompts[i] as { text: string; ids: number[] };
        const rollouts = Array.from({ length: settings.n }, (_, k): Rollout => {
          const sequence = generated[i * settings.n + k];
          if (!sequence)
            throw new InvalidArgumentError('policy', `no sequence generated for problem ${i} sample ${k}`);
          return {
            problemId: problem.id,
            sampleIndex: k,
            prompt: prompt.text,
            promptTokenIds: prompt.ids,
            text: sequence.text,
            tokenIds: sequence.tokenIds,
            logProbs: sequence.logProbs,
            finishReason: sequence.finishReason,
          };
        });
        return { problem, rollouts };
      });
    },
  };
}
