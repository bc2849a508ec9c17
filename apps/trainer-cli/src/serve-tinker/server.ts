import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { formatIssues } from '@oreal-ts/core';
import type { Tokenizer } from '@oreal-ts/core';
import { loadTokenizer, loadTransformerPolicy, type TransformerPolicy } from '@oreal-ts/tensor-model';
import { TINKER_OPS, RetrieveFutureRequestSchema } from '@oreal-ts/tinker';
import type { ServeLogger } from '../serve/index';
import { NotFoundError, TinkerEngine } from './engine';
import { FutureStore, KeyedQueue, UserInputError } from './futures';

/** The weights to serve: a checkpoint folder (policy + tokenizer), or an already loaded policy and tokenizer. */
export type TinkerModelSource =
  { readonly checkpoint: string } | { readonly policy: TransformerPolicy; readonly tokenizer: Tokenizer };

/** Options of `startTinkerServer`. */
export type TinkerServerOptions = TinkerModelSource & {
  /** The name clients pass as `base_model` (listed by `get_server_capabilities`). */
  readonly baseModel: string;
  /** Interface to bind. Default `127.0.0.1`. */
  readonly host?: string;
  /** TCP port; 0 picks a free one. Default 8000. */
  readonly port?: number;
  /** One line per op (op, model, status, ms); the API key is never logged. Default: silent. */
  readonly logger?: ServeLogger;
  /** When set, requests whose `X-API-Key` differs get 401. Default: any key is accepted. */
  readonly apiKey?: string;
  /** Folder of `save_weights` checkpoints. Default: a fresh temp folder, removed on `close`. */
  readonly stateDir?: string;
  /** How long `retrieve_future` waits for a pending future before answering 408. Default 1000 ms. */
  readonly longPollMs?: number;
  /** Sampler snapshots kept per model (older ones are disposed). Default 4. */
  readonly maxSamplerSnapshots?: number;
  /** Attention of a policy loaded from `checkpoint` (tensor-model's `fusedAttention`). Default: its default. */
  readonly fusedAttention?: 'auto' | 'kernel' | 'tensors';
};

/** A running local Tinker server. */
export interface RunningTinkerServer {
  /** Base URL, e.g. `http://127.0.0.1:8000` (clients add `/api/v1/<op>`). */
  readonly url: string;
  readonly port: number;
  /** Stop accepting requests, finish queued ops, dispose the models. Safe to call twice. */
  close(): Promise<void>;
}

/** An error answered with an HTTP status and `{ error, field? }`. */
class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const silentLogger: ServeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function parseBody<S extends z.ZodType>(op: string, schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const first = result.error.issues[0];
  const field = first ? first.path.map(String).join('.') : '';
  throw new HttpError(
    400,
    `invalid ${op} body: ${formatIssues(result.error.issues).join('; ')}`,
    field || undefined,
  );
}

function modelIdOf(body: unknown): string {
  const value = (body as { model_id?: unknown } | undefined)?.model_id;
  return typeof value === 'string' ? value : '-';
}

/**
 * A local Tinker-compatible training and sampling service over the tfjs model (fastify,
 * `/api/v1/<op>`): every op of the wire subset in `@oreal-ts/tinker` (`TINKER_OPS`), bodies
 * validated with its zod schemas (400 naming the field), unknown ids 404, futures kept in memory
 * (`retrieve_future` long-polls, then 408 `try_again`), ops on one model run in arrival order.
 * Advertises the `row-seeds` extension. See `TinkerEngine` for the engine's departures.
 */
export async function startTinkerServer(options: TinkerServerOptions): Promise<RunningTinkerServer> {
  const logger = options.logger ?? silentLogger;
  const ownsModel = 'checkpoint' in options;
  const tokenizer = 'checkpoint' in options ? await loadTokenizer(options.checkpoint) : options.tokenizer;
  const policy =
    'checkpoint' in options
      ? await loadTransformerPolicy(options.checkpoint, options.fusedAttention ? { fusedAttention: options.fusedAttention } : {})
      : options.policy;
  const ownsStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'oreal-tinker-state-')));
  const engine = new TinkerEngine({
    policy,
    tokenizer,
    baseModel: options.baseModel,
    stateDir,
    ...(options.maxSamplerSnapshots === undefined
      ? {}
      : { maxSamplerSnapshots: options.maxSamplerSnapshots }),
  });
  const futures = new FutureStore();
  const queue = new KeyedQueue();
  const longPollMs = options.longPollMs ?? 1000;

  /** Queue `job` on `key`, log it when it settles, and answer its request id. */
  const submit = (op: string, key: string, modelId: string, job: () => unknown) => {
    const started = performance.now();
    const run = queue.run(key, async () => job());
    void run.then(
      () => logger.info(`tinker: ${op} model=${modelId} ok ${(performance.now() - started).toFixed(0)} ms`),
      (error: unknown) =>
        logger.warn(
          `tinker: ${op} model=${modelId} failed ${(performance.now() - started).toFixed(0)} ms: ${error instanceof Error ? error.message : String(error)}`,
        ),
    );
    return { request_id: futures.submit(run) };
  };
  /** Run a direct op and log it. */
  const direct = <T>(op: string, modelId: string, job: () => T): T => {
    const started = performance.now();
    const value = job();
    logger.info(`tinker: ${op} model=${modelId} ok ${(performance.now() - started).toFixed(0)} ms`);
    return value;
  };

  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 256 * 1024 * 1024 });

  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (options.apiKey !== undefined && request.headers['x-api-key'] !== options.apiKey)
      throw new HttpError(401, 'invalid or missing X-API-Key');
  });
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply: FastifyReply) => {
    const statusCode =
      error instanceof HttpError
        ? error.statusCode
        : error instanceof NotFoundError
          ? 404
          : error instanceof UserInputError
            ? 400
            : (error.statusCode ?? 500);
    if (statusCode >= 500) logger.error(`tinker: ${request.url}: ${error.stack ?? error.message}`);
    else if (statusCode !== 401)
      logger.warn(
        `tinker: ${request.url.replace(/^\/api\/v1\//, '')} model=${modelIdOf(request.body)} ${statusCode}: ${error.message}`,
      );
    void reply
      .status(statusCode)
      .send({
        error: error.message,
        ...(error instanceof HttpError && error.field ? { field: error.field } : {}),
      });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .send({
        error: `no route ${request.method} ${request.url}; this server offers /api/v1/{${[...Object.keys(TINKER_OPS), 'retrieve_future'].join(',')}}`,
      });
  });

  const ops = TINKER_OPS;
  const post = (op: keyof typeof TINKER_OPS, handler: (body: never) => unknown) => {
    app.post(`/api/v1/${op}`, async (request) =>
      handler(parseBody(op, ops[op].request, request.body) as never),
    );
  };

  app.get('/api/v1/get_server_capabilities', async () =>
    direct('get_server_capabilities', '-', () => engine.capabilities()),
  );
  post('create_session', () => direct('create_session', '-', () => engine.createSession()));
  post('session_heartbeat', (body: z.output<typeof ops.session_heartbeat.request>) =>
    engine.heartbeat(body.session_id),
  );
  post('create_model', (body: z.output<typeof ops.create_model.request>) => {
    engine.checkCreateModel(body);
    return submit('create_model', '<create>', '-', () => engine.createModel(body));
  });
  post('get_info', (body: z.output<typeof ops.get_info.request>) =>
    direct('get_info', body.model_id, () => engine.info(body.model_id)),
  );
  post('forward', (body: z.output<typeof ops.forward.request>) => {
    engine.assertModel(body.model_id);
    return submit('forward', body.model_id, body.model_id, () => engine.forward(body));
  });
  post('forward_backward', (body: z.output<typeof ops.forward_backward.request>) => {
    engine.assertModel(body.model_id);
    return submit('forward_backward', body.model_id, body.model_id, () => engine.forwardBackward(body));
  });
  post('optim_step', (body: z.output<typeof ops.optim_step.request>) => {
    engine.assertModel(body.model_id);
    return submit('optim_step', body.model_id, body.model_id, () => engine.optimStep(body));
  });
  post('save_weights_for_sampler', (body: z.output<typeof ops.save_weights_for_sampler.request>) => {
    engine.assertModel(body.model_id);
    return submit('save_weights_for_sampler', body.model_id, body.model_id, () =>
      engine.saveForSampler(body),
    );
  });
  post('save_weights', (body: z.output<typeof ops.save_weights.request>) => {
    engine.assertModel(body.model_id);
    return submit('save_weights', body.model_id, body.model_id, () => engine.saveState(body));
  });
  post('load_weights', (body: z.output<typeof ops.load_weights.request>) => {
    engine.checkLoad(body);
    return submit('load_weights', body.model_id, body.model_id, () => engine.loadState(body));
  });
  post('create_sampling_session', (body: z.output<typeof ops.create_sampling_session.request>) =>
    direct('create_sampling_session', body.model_path ?? '<base>', () => engine.createSamplingSession(body)),
  );
  post('asample', (body: z.output<typeof ops.asample.request>) => {
    const key = engine.sampleQueueKey(body);
    return submit('asample', key, key, () => engine.sample(body));
  });
  app.post('/api/v1/retrieve_future', async (request, reply) => {
    const body = parseBody('retrieve_future', RetrieveFutureRequestSchema, request.body);
    const outcome = await futures.retrieve(body.request_id, longPollMs);
    if (outcome === undefined)
      throw new HttpError(
        404,
        `unknown request_id '${body.request_id}' (futures are kept in memory; a restarted server forgets them)`,
        'request_id',
      );
    if (outcome === 'pending')
      return reply.status(408).send({ type: 'try_again', request_id: body.request_id });
    if (!outcome.ok)
      return { type: 'RequestFailedResponse', error: outcome.error, category: outcome.category };
    return outcome.value;
  });

  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8000 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 8000);
  const host = options.host ?? '127.0.0.1';
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close() {
      closing ??= (async () => {
        await app.close();
        await queue.drain();
        await futures.drain();
        engine.dispose();
        if (ownsModel) policy.dispose();
        if (ownsStateDir) await rm(stateDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
