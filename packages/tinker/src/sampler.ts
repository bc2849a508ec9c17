import {
  InvalidArgumentError,
  SampleOptionsSchema,
  assertSpecificationVersion,
  hashString,
  parseConfig,
  type Problem,
  type PromptTemplate,
  type Rollout,
  type RolloutGroup,
  type SampleOptions,
  type Sampler,
  type Tokenizer,
} from '@oreal-ts/core';
import type { SamplingClient, TinkerServiceClient } from './clients';
import { cutAtStop, encodePromptIds, renderPromptText } from './prompt';
import { ROW_SEEDS_EXTENSION } from './wire';

/** Options of `createTinkerSampler`. */
export interface TinkerSamplerOptions {
  readonly service: TinkerServiceClient;
  /** The policy whose CURRENT sampler weights are sampled (read at every `sample` call). */
  readonly policy?: { samplerPath(): Promise<string> };
  /** Or: a getter of the `tinker://` sampler path to sample (used when no policy is given). */
  readonly modelPath?: () => string | Promise<string>;
  readonly tokenizer: Tokenizer;
  /** Problem → prompt (rendered as LocalSampler does). */
  readonly prompt: PromptTemplate;
  /** Requests in flight at once. Default 32. */
  readonly concurrency?: number;
  /** Component id. Default `oreal-ts/tinker-sampler`. */
  readonly id?: string;
}

/**
 * A core `Sampler` over Tinker sampling: one `asample` per problem (`num_samples` = n), every
 * problem's request in flight concurrently (bounded by `concurrency`), results in problem order.
 * It samples the policy's CURRENT sampler weights at call time (the policy saves them after each
 * optimiser step, so sampling is on-policy by construction).
 *
 * Choices: `top_k` 0/undefined → −1 (off); `stop` on the wire = the stop strings when given,
 * else `stopTokenIds` + the tokenizer's EOS (the wire takes strings OR ids, so giving both
 * `stop` and `stopTokenIds` is an error; the server is expected to stop at EOS itself). A seed is
 * always sent (a random one per call when none is given, like LocalSampler). When the server
 * advertises `row-seeds`, request i carries the call's seed and `oreal_row_seed_key: String(i)`,
 * so sample k of problem i draws from `SeededRng(seed).fork(\`${i}/${k}\`)` exactly like
 * LocalSampler; otherwise request i gets seed `hashString(\`${seed}/${i}\`)` so problems differ.
 * Rollouts: `tokenIds` = the generated tokens (a stop token/string's tokens included, Tinker's
 * convention), `text` = `tokenizer.decode(tokenIds, { skipSpecialTokens: true })` (as LocalSampler) cut after a matched stop string,
 * `logProbs` = the server's (Tinker: log π at temperature 1 before top-k/top-p, as LocalSampler),
 * `finishReason` = `stop_reason`.
 */
export function createTinkerSampler(options: TinkerSamplerOptions): Sampler {
  assertSpecificationVersion(options.tokenizer);
  const { service, tokenizer, prompt: template } = options;
  const concurrency = options.concurrency ?? 32;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidArgumentError('concurrency', `must be a positive integer, got ${concurrency}`);
  const pathOf = options.policy ? () => (options.policy as { samplerPath(): Promise<string> }).samplerPath() : options.modelPath;
  if (!pathOf) throw new InvalidArgumentError('policy', 'give a policy or a modelPath getter');
  let cached: { path: string; client: Promise<SamplingClient> } | undefined;
  const clientFor = (path: string): Promise<SamplingClient> => {
    if (cached?.path !== path) {
      const client = service.createSamplingClient({ modelPath: path });
      cached = { path, client };
      client.catch(() => {
        if (cached?.client === client) cached = undefined;
      });
    }
    return cached.client;
  };

  return {
    specificationVersion: 'v1',
    id: options.id ?? 'oreal-ts/tinker-sampler',
    async sample(problems: readonly Problem[], sampleOptions: SampleOptions): Promise<RolloutGroup[]> {
      const settings = parseConfig(SampleOptionsSchema, sampleOptions, 'sampleOptions');
      if (settings.stop?.length && settings.stopTokenIds?.length) {
        throw new InvalidArgumentError('sampleOptions', 'Tinker takes stop strings OR stop token ids, not both');
      }
      const stop = settings.stop?.length
        ? [...settings.stop]
        : [...(settings.stopTokenIds ?? []), ...(tokenizer.eosTokenId === undefined ? [] : [tokenizer.eosTokenId])];
      const seed = settings.seed ?? Math.floor(Math.random() * 2 ** 32);
      const sampling = await clientFor(await pathOf());
      const rowSeeds = await service.supportsExtension(ROW_SEEDS_EXTENSION);
      const prompts = problems.map((problem) => {
        const text = renderPromptText(template, problem, tokenizer);
        return { text, ids: encodePromptIds(tokenizer, text) };
      });
      const groups: RolloutGroup[] = new Array<RolloutGroup>(problems.length);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < problems.length) {
          const i = next++;
          const problem = problems[i] as Problem;
          const prompt = prompts[i] as { text: string; ids: number[] };
          const result = await sampling.sample({
            prompt: prompt.ids,
            numSamples: settings.n,
            samplingParams: {
              max_tokens: settings.maxNewTokens,
              temperature: settings.temperature,
              top_p: settings.topP,
              top_k: settings.topK ? settings.topK : -1,
              ...(stop.length ? { stop } : {}),
              seed: rowSeeds ? seed : hashString(`${seed}/${i}`),
            },
            rowSeedKey: String(i),
          });
          const rollouts = result.sequences.map((sequence, k): Rollout => {
            const logProbs = sequence.logprobs ?? [];
            if (logProbs.length > 0 && logProbs.length !== sequence.tokens.length) {
              throw new InvalidArgumentError('asample', `field 'sequences.${k}.logprobs': ${logProbs.length} values for ${sequence.tokens.length} tokens (problem '${problem.id}')`);
            }
            const decoded = tokenizer.decode(sequence.tokens, { skipSpecialTokens: true });
            return {
              problemId: problem.id,
              sampleIndex: k,
              prompt: prompt.text,
              promptTokenIds: prompt.ids,
              text: sequence.stop_reason === 'stop' && settings.stop?.length ? cutAtStop(decoded, settings.stop) : decoded,
              tokenIds: sequence.tokens,
              logProbs,
              finishReason: sequence.stop_reason,
            };
          });
          groups[i] = { problem, rollouts };
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, problems.length) }, worker));
      return groups;
    },
  };
}
