import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { z } from 'zod';
import { OrealError, SeededRng, assertSpecificationVersion, formatIssues } from '@oreal-ts/core';
import type { ChatMessage, Policy, Tokenizer } from '@oreal-ts/core';
import {
  assertPromptFits,
  encodePrompt,
  renderMessagesAsText,
  type GeneratedSequence,
  type GenerationSettings,
} from '@oreal-ts/sampler';
import { createRequestBatcher, type WeightVersion } from './request-batcher';
import { LoadWeightsError, loadWeightsFolder, type ReloadWeights } from './load-weights';
import {
  ChatRequestSchema,
  CompletionRequestSchema,
  LoadWeightsRequestSchema,
  type ChatRequest,
  type CompletionRequest,
} from './request-schemas';

/** Where `oreal serve` writes its one-line request and lifecycle logs. */
export interface ServeLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Options of `startServer`. */
export interface ServeOptions {
  /** The model to serve (its `startDecoding` KV cache is used for generation). */
  readonly policy: Policy;
  readonly tokenizer: Tokenizer;
  /** The id clients put in `model` (requests naming another model get 404, as in vLLM). */
  readonly modelName: string;
  /** Interface to bind. Default `127.0.0.1` (local only); `0.0.0.0` exposes it to the network. */
  readonly host?: string;
  /** TCP port; 0 picks a free one. Default 8000 (vLLM's). */
  readonly port?: number;
  /** Messages → prompt text. Default: the tokenizer's chat template, else `renderMessagesAsText`. */
  readonly chatTemplate?: (messages: readonly ChatMessage[]) => string;
  /** Rows decoded together; concurrent requests are batched up to this many rows (a bigger request is split). Default 16. */
  readonly batchSize?: number;
  /** `max_tokens` when a completions request gives none. Default 16 (the OpenAI default). Chat default: the rest of the context. */
  readonly defaultMaxTokens?: number;
  /** Request and lifecycle logs. Default: silent. */
  readonly logger?: ServeLogger;
  /**
   * Reloads `policy`'s weights in place for `POST /v1/load_weights` (e.g.
   * `(dir, o) => transformerPolicy.reloadWeights(dir, o)`); it must check everything before it
   * changes any weight. Without it the route answers 400 (this server cannot load weights).
   */
  readonly reloadWeights?: ReloadWeights;
  /** Version of the start weights, reported as `weight_version` (e.g. the served folder's `version.json`). Default null. */
  readonly weightVersion?: WeightVersion;
}

/** A running server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8000` (clients add `/v1/...`). */
  readonly url: string;
  readonly port: number;
  /** Stop accepting connections, finish in-flight requests, close. Safe to call twice. */
  close(): Promise<void>;
}

/** An error answered with its status in OpenAI's error shape. */
class RequestError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

const silentLogger: ServeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  throw new RequestError(
    400,
    `invalid request body: ${formatIssues(result.error.issues).join('; ')}`,
    first ? first.path.map(String).join('.') || null : null,
  );
}

function rejectUnsupported(body: CompletionRequest | ChatRequest): void {
  if (body.stream)
    throw new RequestError(
      400,
      'stream: true is not supported by oreal serve; omit it or set it to false',
      'stream',
    );
  if (body.presence_penalty)
    throw new RequestError(
      400,
      'presence_penalty is not supported; omit it or set it to 0',
      'presence_penalty',
    );
  if (body.frequency_penalty)
    throw new RequestError(
      400,
      'frequency_penalty is not supported; omit it or set it to 0',
      'frequency_penalty',
    );
}

function contentText(content: string | readonly { text: string }[]): string {
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}

/** Per-choice output: generated sequence with the OpenAI view of its text and stop. */
interface Choice {
  readonly sequence: GeneratedSequence;
  readonly text: string;
  readonly finishReason: 'stop' | 'length';
  /** vLLM's `stop_reason`: the matched stop string, an extra stop token id, or null (EOS / length). */
  readonly stopReason: string | number | null;
}

/**
 * Serve a local policy over the OpenAI API with fastify: `GET /v1/models`, `POST /v1/completions`,
 * `POST /v1/chat/completions` (no streaming). Bodies are validated with zod; bad input gets 400
 * with OpenAI's `{error: {message, type, param}}`. Generation runs through `@oreal-ts/sampler`'s
 * batched KV-cached decoder; rows of concurrent requests share batches (up to `batchSize`). As in the OpenAI API the stop string is cut
 * from the text unless `include_stop_str_in_output` (vLLM) is set; `stop_reason` names it.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  assertSpecificationVersion(options.policy);
  assertSpecificationVersion(options.tokenizer);
  const { policy, tokenizer, modelName } = options;
  const logger = options.logger ?? silentLogger;
  const batchSize = options.batchSize ?? 16;
  const batcher = createRequestBatcher(policy, tokenizer, batchSize, options.weightVersion ?? null);
  const created = Math.floor(Date.now() / 1000);
  const renderChat =
    options.chatTemplate ??
    ((messages: readonly ChatMessage[]) =>
      tokenizer.applyChatTemplate
        ? tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true })
        : renderMessagesAsText(messages));
  const decodeToken = (id: number) => tokenizer.decode([id]);
  /** How a token is shown in log-probs: its text, or vLLM's `token_id:<id>` when asked. */
  const tokenLabel = (body: CompletionRequest | ChatRequest) =>
    body.return_tokens_as_token_ids ? (id: number) => `token_id:${id}` : decodeToken;

  const checkModel = (model: string) => {
    if (model !== modelName)
      throw new RequestError(
        404,
        `The model '${model}' does not exist; this server serves '${modelName}'`,
        'model',
      );
  };

  /** Generate `n` choices for each prompt (rows prompt-major), validating lengths first. */
  const generate = async (
    prompts: readonly number[][],
    body: CompletionRequest | ChatRequest,
    maxTokens: number,
    topLogProbs: number,
  ): Promise<{ choices: Choice[]; weightVersion: WeightVersion }> => {
    const n = body.n ?? 1;
    prompts.forEach((ids, i) => {
      try {
        assertPromptFits(policy, ids.length, maxTokens, prompts.length > 1 ? `prompt ${i}` : 'prompt');
      } catch (error) {
        throw new RequestError(400, error instanceof Error ? error.message : String(error), 'max_tokens');
      }
    });
    const stops =
      body.stop === undefined || body.stop === null
        ? []
        : typeof body.stop === 'string'
          ? [body.stop]
          : body.stop;
    const extraStopIds = body.stop_token_ids ?? [];
    const base = new SeededRng(body.seed ?? Math.floor(Math.random() * 2 ** 32));
    const topK = body.top_k ?? 0;
    const settings: GenerationSettings = {
      temperature: body.temperature ?? 1,
      topP: body.top_p ?? 1,
      ...(topK > 0 ? { topK } : {}),
      maxNewTokens: maxTokens,
      stopTokenIds: [...extraStopIds, ...(tokenizer.eosTokenId === undefined ? [] : [tokenizer.eosTokenId])],
      stop: stops,
      topLogProbs,
    };
    const { sequences, weightVersion } = await batcher.generate(
      prompts.flatMap((ids, p) =>
        Array.from({ length: n }, (_, k) => ({ promptIds: ids, rng: base.fork(`${p}/${k}`), settings })),
      ),
    );
    const choices = sequences.map((sequence): Choice => {
      const keepStop = body.include_stop_str_in_output === true;
      const text =
        sequence.stopString !== undefined && !keepStop
          ? sequence.text.slice(0, sequence.text.length - sequence.stopString.length)
          : sequence.text;
      const stopReason =
        sequence.stopString ??
        (sequence.stopTokenId !== undefined && sequence.stopTokenId !== tokenizer.eosTokenId
          ? sequence.stopTokenId
          : null);
      return { sequence, text, finishReason: sequence.finishReason, stopReason };
    });
    return { choices, weightVersion };
  };

  const usage = (prompts: readonly number[][], choices: readonly Choice[]) => {
    const promptTokens = prompts.reduce((s, p) => s + p.length, 0);
    const completionTokens = choices.reduce((s, c) => s + c.sequence.tokenIds.length, 0);
    return {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };
  };

  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });

  app.setErrorHandler(
    (error: Error & { statusCode?: number; param?: string | null }, request, reply: FastifyReply) => {
      const statusCode = error instanceof RequestError ? error.statusCode : (error.statusCode ?? 500);
      const internal = statusCode >= 500;
      if (internal)
        logger.error(
          `${request.method} ${request.url}: ${OrealError.is(error) ? error.message : (error.stack ?? error.message)}`,
        );
      void reply.status(statusCode).send({
        error: {
          message: internal && !OrealError.is(error) ? `internal error: ${error.message}` : error.message,
          type: internal ? 'server_error' : statusCode === 404 ? 'not_found_error' : 'invalid_request_error',
          param: error instanceof RequestError ? error.param : null,
          code: statusCode,
        },
      });
    },
  );
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      error: {
        message: `no route ${request.method} ${request.url}; this server offers GET /v1/models, POST /v1/completions, POST /v1/chat/completions, POST /v1/load_weights`,
        type: 'not_found_error',
        param: null,
        code: 404,
      },
    });
  });
  app.addHook('onResponse', async (request, reply) => {
    logger.info(`${request.method} ${request.url} ${reply.statusCode} ${reply.elapsedTime.toFixed(0)} ms`);
  });

  app.get('/v1/models', async () => ({
    object: 'list',
    data: [
      {
        id: modelName,
        object: 'model',
        created,
        owned_by: 'oreal-ts',
        max_model_len: policy.maxSequenceLength,
        weight_version: batcher.weightVersion,
      },
    ],
  }));

  app.post('/v1/load_weights', async (request) => {
    const reload = options.reloadWeights;
    if (!reload)
      throw new RequestError(
        400,
        'this server cannot load weights: it was started without a reloadable policy',
      );
    const body = parseBody(LoadWeightsRequestSchema, request.body);
    const started = performance.now();
    try {
      const version = await batcher.load((current) => loadWeightsFolder(body, current, reload));
      const seconds = (performance.now() - started) / 1000;
      logger.info(`loaded weights ${body.path} as version ${version} in ${seconds.toFixed(2)} s`);
      return { version, path: body.path, seconds };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error(
        `load_weights ${body.path} (version ${body.version}) failed, still serving version ${batcher.weightVersion ?? 'null'}: ${message}`,
      );
      if (error instanceof LoadWeightsError) throw new RequestError(error.statusCode, message, 'path');
      throw error;
    }
  });

  app.post('/v1/completions', async (request) => {
    const body = parseBody(CompletionRequestSchema, request.body);
    checkModel(body.model);
    rejectUnsupported(body);
    if (body.echo) throw new RequestError(400, 'echo is not supported; omit it', 'echo');
    if (body.suffix) throw new RequestError(400, 'suffix is not supported; omit it', 'suffix');
    if (body.best_of !== undefined && body.best_of !== null && body.best_of !== (body.n ?? 1)) {
      throw new RequestError(400, 'best_of is not supported; use n', 'best_of');
    }
    const raw = body.prompt;
    const prompts: number[][] =
      typeof raw === 'string'
        ? [encodePrompt(tokenizer, raw)]
        : raw.every((item): item is string => typeof item === 'string')
          ? raw.map((text) => encodePrompt(tokenizer, text))
          : raw.every((item): item is number => typeof item === 'number')
            ? [[...raw]]
            : (raw as number[][]).map((ids) => [...ids]);
    const maxTokens = body.max_tokens ?? body.max_completion_tokens ?? options.defaultMaxTokens ?? 16;
    const wantLogProbs = body.logprobs !== undefined && body.logprobs !== null;
    const tokenText = tokenLabel(body);
    const { choices, weightVersion } = await generate(
      prompts,
      body,
      maxTokens,
      wantLogProbs ? (body.logprobs ?? 0) : 0,
    );
    return {
      id: `cmpl-${randomUUID()}`,
      object: 'text_completion',
      created: Math.floor(Date.now() / 1000),
      model: modelName,
      choices: choices.map((choice, index) => {
        let logprobs = null;
        if (wantLogProbs) {
          const tokens = choice.sequence.tokenIds.map(tokenText);
          const offsets: number[] = [];
          choice.sequence.tokenIds.reduce(
            (offset, id) => (offsets.push(offset), offset + decodeToken(id).length),
            0,
          );
          logprobs = {
            tokens,
            token_logprobs: choice.sequence.logProbs,
            top_logprobs:
              (body.logprobs ?? 0) > 0
                ? (choice.sequence.topLogProbs ?? []).map((step) =>
                    Object.fromEntries(step.map((t) => [tokenText(t.tokenId), t.logProb])),
                  )
                : null,
            text_offset: offsets,
          };
        }
        return {
          index,
          text: choice.text,
          logprobs,
          finish_reason: choice.finishReason,
          stop_reason: choice.stopReason,
        };
      }),
      usage: usage(prompts, choices),
      weight_version: weightVersion,
    };
  });

  app.post('/v1/chat/completions', async (request) => {
    const body = parseBody(ChatRequestSchema, request.body);
    checkModel(body.model);
    rejectUnsupported(body);
    const messages: ChatMessage[] = body.messages.map((m) => ({
      role: m.role,
      content: contentText(m.content),
    }));
    const prompt = encodePrompt(tokenizer, renderChat(messages));
    const maxTokens =
      body.max_completion_tokens ?? body.max_tokens ?? Math.max(1, policy.maxSequenceLength - prompt.length);
    const topLogProbs = body.logprobs ? (body.top_logprobs ?? 0) : 0;
    const { choices, weightVersion } = await generate([prompt], body, maxTokens, topLogProbs);
    const tokenText = tokenLabel(body);
    const entry = (id: number, logprob: number) => {
      const token = tokenText(id);
      return { token, logprob, bytes: [...Buffer.from(token, 'utf8')] };
    };
    return {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: modelName,
      choices: choices.map((choice, index) => ({
        index,
        message: { role: 'assistant', content: choice.text },
        logprobs: body.logprobs
          ? {
              content: choice.sequence.tokenIds.map((id, t) => ({
                ...entry(id, choice.sequence.logProbs[t] ?? 0),
                top_logprobs: (choice.sequence.topLogProbs?.[t] ?? []).map((alt) =>
                  entry(alt.tokenId, alt.logProb),
                ),
              })),
            }
          : null,
        finish_reason: choice.finishReason,
        stop_reason: choice.stopReason,
      })),
      usage: usage([prompt], choices),
      weight_version: weightVersion,
    };
  });

  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8000 });
  const port =
    app.server.address() !== null && typeof app.server.address() === 'object'
      ? (app.server.address() as { port: number }).port
      : Number(new URL(address).port);
  const host = options.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info(
    `serving '${modelName}' on ${url}/v1 (${policy.parameterCount} parameters, context ${policy.maxSequenceLength})`,
  );
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close: () => (closing ??= app.close().then(() => logger.info('server closed'))),
  };
}
