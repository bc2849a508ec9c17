import { z } from 'zod';
import { HttpRequestError, SampleOptionsSchema, formatIssues, hashString, parseConfig } from '@oreal-ts/core';
import type {
  ChatMessage,
  Problem,
  PromptTemplate,
  Rollout,
  RolloutGroup,
  SampleOptions,
  Sampler,
} from '@oreal-ts/core';
import { postJsonWithRetry, type BackoffOptions, type RetrySettings } from './http-retry';
import { ChatResponseSchema, CompletionResponseSchema } from './openai-schemas';
import { plainPrompt, renderMessagesAsText } from './prompt-template';
import { UrlPool, type SamplerServerPool } from './url-pool';

/** Options of `createOpenAISampler`. */
export interface OpenAISamplerOptions {
  /** Server base URLs, e.g. `http://10.0.0.5:8000` or `http://10.0.0.5:8000/v1` (`/v1` is added when missing). */
  readonly baseUrls: readonly string[];
  /** The `model` field of every request. */
  readonly model: string;
  /** `completions` → `/v1/completions` with prompt text; `chat` → `/v1/chat/completions` with messages. */
  readonly mode: 'completions' | 'chat';
  /** Problem → prompt. Default `plainPrompt`. A string becomes one user message in chat mode; messages become text in completions mode. */
  readonly prompt?: PromptTemplate;
  /** Bearer token; default `process.env.OPENAI_API_KEY`; none → no Authorization header. Never logged. */
  readonly apiKey?: string;
  /** Requests in flight per base URL. Default 8. */
  readonly concurrencyPerUrl?: number;
  /** Retries after the first attempt of each request. Default 5. */
  readonly maxRetries?: number;
  /** Per-request time limit. Default 120,000 ms. */
  readonly timeoutMs?: number;
  /** Back-off between retries. Default `{ initialMs: 250, maxMs: 10_000 }`. */
  readonly backoff?: Partial<BackoffOptions>;
  /** Ask for log-probs of the sampled tokens (`logprobs: 1` / `logprobs: true`). Default true. */
  readonly logProbs?: boolean;
  /**
   * Ask for token ids (vLLM's `return_tokens_as_token_ids`, also served by `oreal serve`): log-prob
   * tokens come back as `token_id:<id>` and fill `Rollout.tokenIds`, aligned with `logProbs`.
   * Needs `logProbs`. Default false.
   */
  readonly tokenIds?: boolean;
  /**
   * Where requests go instead of a fixed `UrlPool` over `baseUrls` (e.g. a `@oreal-ts/fleet` fleet
   * that hands out only servers at the current policy version). Its URLs end in `/v1`; `baseUrls`
   * is then only checked, not used.
   */
  readonly pool?: SamplerServerPool;
  /**
   * The policy version behind one response, read from the server's answer (`baseUrl` is the
   * pool URL that answered, ending in `/v1`); it fills `Rollout.policyVersion`. Default: none.
   */
  readonly versionOfResponse?: (baseUrl: string, body: unknown) => number | undefined;
  /** The `model` of a request to `baseUrl` when the server decides it (a fleet of vLLM LoRA adapters); undefined → `model`. */
  readonly modelFor?: (baseUrl: string) => string | undefined;
  /** Extra body fields for server extensions (e.g. vLLM's `include_stop_str_in_output`). */
  readonly extraBody?: Readonly<Record<string, unknown>>;
  /** fetch implementation. Default `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  /** Retry notices (URL, attempt, status, reason) for logs; never carries the key. */
  readonly onRetry?: RetrySettings['onRetry'];
  /** Component id. Default `oreal-ts/openai-sampler`. */
  readonly id?: string;
}

const OptionsSchema = z
  .object({
    baseUrls: z.array(z.url({ protocol: /^https?$/ })).min(1),
    model: z.string().min(1),
    mode: z.enum(['completions', 'chat']),
    concurrencyPerUrl: z.number().int().min(1).default(8),
    maxRetries: z.number().int().min(0).default(5),
    timeoutMs: z.number().int().min(1).default(120_000),
    backoff: z
      .object({ initialMs: z.number().min(0).default(250), maxMs: z.number().min(0).default(10_000) })
      .default({ initialMs: 250, maxMs: 10_000 }),
    logProbs: z.boolean().default(true),
    tokenIds: z.boolean().default(false),
  })
  .refine((o) => !o.tokenIds || o.logProbs, {
    path: ['tokenIds'],
    message: 'needs logProbs: true (token ids come with the log-probs)',
  });

/** Normalise a base URL to end in `/v1` without a trailing slash. */
export function normaliseBaseUrl(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return trimmed.endsWith('/v1') ? trimmed : `${trimmed}/v1`;
}

/** One choice, reduced to what a rollout needs. */
interface ChoiceResult {
  readonly text: string;
  /** The policy version the server reported for the response that carried this choice. */
  readonly policyVersion?: number;
  readonly logProbs: number[];
  /** Token ids parsed from `token_id:<id>` tokens, when every token had that form. */
  readonly tokenIds: number[];
  readonly finishReason: 'stop' | 'length';
}

/** Ids from vLLM-style `token_id:<id>` tokens; empty unless every token has that form. */
export function parseTokenIds(tokens: readonly string[] | undefined): number[] {
  if (!tokens) return [];
  const ids: number[] = [];
  for (const token of tokens) {
    const match = /^token_id:(\d+)$/.exec(token);
    if (!match) return [];
    ids.push(Number(match[1]));
  }
  return ids;
}

function toFinishReason(reason: string | null | undefined): 'stop' | 'length' {
  return reason === 'length' ? 'length' : 'stop';
}

/**
 * OpenAI servers cut the stop string off the text; the contract keeps it. vLLM reports the matched
 * stop in `stop_reason`, SGLang in `matched_stop`: append it when it is one of ours and missing.
 */
function withStopString(
  text: string,
  finishReason: 'stop' | 'length',
  matched: unknown,
  stops: readonly string[],
): string {
  if (
    finishReason !== 'stop' ||
    typeof matched !== 'string' ||
    !stops.includes(matched) ||
    text.endsWith(matched)
  )
    return text;
  return text + matched;
}

/**
 * A `Sampler` over a pool of OpenAI-compatible servers (vLLM, SGLang, llama.cpp, Ollama, `oreal
 * serve`). One request per problem asks for all `n` choices; a server that returns fewer is asked
 * for the rest (with a derived seed so they differ). Requests spread over `baseUrls` with at most
 * `concurrencyPerUrl` in flight on each; 429, 408, 5xx, resets, timeouts and malformed 2xx bodies
 * are retried with exponential back-off and jitter (honouring `Retry-After`), on another URL when
 * one has room; any other 4xx fails at once with the server's message. The first request that
 * fails for good cancels the rest and `sample` rejects with `HttpRequestError` (URL, last status,
 * reason; the API key redacted). Results come back in problem order, `n` per problem.
 *
 * Remote rollouts carry the log-probs of the server's sampled tokens when it returns them; their
 * `tokenIds` are filled only with `tokenIds: true` (vLLM's `return_tokens_as_token_ids`), else
 * empty — the one place where `logProbs` and `tokenIds` may differ in length (see README).
 */
export function createOpenAISampler(options: OpenAISamplerOptions): Sampler {
  const config = parseConfig(OptionsSchema, options, 'openaiSampler');
  const apiKey = options.apiKey ?? process.env.OPENAI_API_KEY;
  const pool = options.pool ?? new UrlPool(config.baseUrls.map(normaliseBaseUrl), config.concurrencyPerUrl);
  const template = options.prompt ?? plainPrompt;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const path = config.mode === 'chat' ? '/chat/completions' : '/completions';
  const schema = config.mode === 'chat' ? ChatResponseSchema : CompletionResponseSchema;
  const validate = (value: unknown): string | undefined => {
    const parsed = schema.safeParse(value);
    return parsed.success ? undefined : formatIssues(parsed.error.issues).slice(0, 3).join('; ');
  };

  const promptFor = (problem: Problem): { text: string; messages: readonly ChatMessage[] } => {
    const prompt = template(problem);
    if (typeof prompt === 'string') return { text: prompt, messages: [{ role: 'user', content: prompt }] };
    return { text: renderMessagesAsText(prompt), messages: prompt };
  };

  const parseChoices = (value: unknown, stops: readonly string[]): ChoiceResult[] => {
    if (config.mode === 'chat') {
      const choices = [...ChatResponseSchema.parse(value).choices].sort(
        (a, b) => (a.index ?? 0) - (b.index ?? 0),
      );
      return choices.map((choice) => {
        const finishReason = toFinishReason(choice.finish_reason);
        return {
          text: withStopString(
            choice.message.content ?? '',
            finishReason,
            choice.stop_reason ?? choice.matched_stop,
            stops,
          ),
          logProbs: choice.logprobs?.content?.map((c) => c.logprob) ?? [],
          tokenIds: config.tokenIds ? parseTokenIds(choice.logprobs?.content?.map((c) => c.token)) : [],
          finishReason,
        };
      });
    }
    const choices = [...CompletionResponseSchema.parse(value).choices].sort(
      (a, b) => (a.index ?? 0) - (b.index ?? 0),
    );
    return choices.map((choice) => {
      const finishReason = toFinishReason(choice.finish_reason);
      return {
        text: withStopString(choice.text, finishReason, choice.stop_reason ?? choice.matched_stop, stops),
        logProbs: (choice.logprobs?.token_logprobs ?? []).filter((v): v is number => v !== null),
        tokenIds: config.tokenIds ? parseTokenIds(choice.logprobs?.tokens) : [],
        finishReason,
      };
    });
  };

  return {
    specificationVersion: 'v1',
    id: options.id ?? 'oreal-ts/openai-sampler',
    async sample(problems: readonly Problem[], sampleOptions: SampleOptions): Promise<RolloutGroup[]> {
      const settings = parseConfig(SampleOptionsSchema, sampleOptions, 'sampleOptions');
      const stops = settings.stop ?? [];
      const cancel = new AbortController();
      const retry: RetrySettings = {
        maxRetries: config.maxRetries,
        timeoutMs: config.timeoutMs,
        backoff: {
          initialMs: options.backoff?.initialMs ?? config.backoff.initialMs,
          maxMs: options.backoff?.maxMs ?? config.backoff.maxMs,
        },
        fetch: fetchImpl,
        headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
        secrets: apiKey ? [apiKey] : [],
        signal: cancel.signal,
        ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      };

      const sampleProblem = async (problem: Problem, problemIndex: number): Promise<RolloutGroup> => {
        const prompt = promptFor(problem);
        const collected: ChoiceResult[] = [];
        // Each round asks for the choices still missing; a round that returns none counts against maxRetries.
        for (let round = 0, emptyRounds = 0; collected.length < settings.n; round++) {
          const missing = settings.n - collected.length;
          const body: Record<string, unknown> = {
            ...options.extraBody,
            model: config.model,
            ...(config.mode === 'chat' ? { messages: prompt.messages } : { prompt: prompt.text }),
            n: missing,
            temperature: settings.temperature,
            top_p: settings.topP,
            max_tokens: settings.maxNewTokens,
            ...(settings.topK ? { top_k: settings.topK } : {}),
            ...(stops.length > 0 ? { stop: stops } : {}),
            ...(settings.seed === undefined
              ? {}
              : { seed: hashString(`${settings.seed}/${problemIndex}/${round}`) & 0x7fffffff }),
            ...(config.logProbs ? { logprobs: config.mode === 'chat' ? true : 1 } : {}),
            ...(config.tokenIds ? { return_tokens_as_token_ids: true } : {}),
          };
          const modelFor = options.modelFor;
          const request = modelFor
            ? (baseUrl: string) => ({ ...body, model: modelFor(baseUrl) ?? config.model })
            : body;
          const { url, baseUrl, value } = await postJsonWithRetry(pool, path, request, retry, validate);
          const version = options.versionOfResponse?.(baseUrl, value);
          const parsed = parseChoices(value, stops);
          const choices =
            version === undefined ? parsed : parsed.map((choice) => ({ ...choice, policyVersion: version }));
          if (choices.length === 0 && ++emptyRounds > config.maxRetries) {
            throw new HttpRequestError(
              url,
              200,
              `returned no choices ${emptyRounds} times for problem '${problem.id}'`,
            );
          }
          collected.push(...choices.slice(0, missing)); // extra choices beyond n are dropped, never duplicated
        }
        const rollouts = collected.map((choice, sampleIndex): Rollout => ({
          problemId: problem.id,
          sampleIndex,
          prompt: prompt.text,
          text: choice.text,
          tokenIds: choice.tokenIds,
          logProbs: choice.logProbs,
          finishReason: choice.finishReason,
          ...(choice.policyVersion === undefined ? {} : { policyVersion: choice.policyVersion }),
        }));
        return { problem, rollouts };
      };

      try {
        return await Promise.all(
          problems.map((problem, i) =>
            sampleProblem(problem, i).catch((error: unknown) => {
              cancel.abort();
              throw error;
            }),
          ),
        );
      } finally {
        cancel.abort();
      }
    },
  };
}
