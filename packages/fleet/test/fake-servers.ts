import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { z } from 'zod';

/** One request a fake server received. */
export interface Received {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

/** A fake HTTP server on 127.0.0.1 whose routes the test defines; it can be killed (sockets destroyed) and restarted on the same port. */
export interface FakeServer {
  readonly url: string;
  readonly port: number;
  readonly received: Received[];
  /** Requests whose bodies failed the route's schema (the test asserts this stays empty). */
  readonly badRequests: string[];
  kill(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** A route: its body schema (POST) and its answer. */
export interface Route {
  readonly schema?: z.ZodType;
  answer(
    body: unknown,
    request: Received,
  ): Promise<{ status: number; body: unknown }> | { status: number; body: unknown };
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

/** Start a fake server with `routes` keyed `METHOD /path`. */
export async function startFakeServer(routes: Record<string, Route>, port = 0): Promise<FakeServer> {
  const received: Received[] = [];
  const badRequests: string[] = [];
  const sockets = new Set<Socket>();
  let server: Server;
  const handler = async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const key = `${request.method ?? 'GET'} ${path}`;
    const body = await readBody(request);
    const entry: Received = { method: request.method ?? 'GET', path, body };
    received.push(entry);
    const route = routes[key];
    if (!route) {
      response
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: `no route ${key}` } }));
      return;
    }
    if (route.schema) {
      const parsed = route.schema.safeParse(body);
      if (!parsed.success) {
        badRequests.push(`${key}: ${parsed.error.message}`);
        response
          .writeHead(422, { 'content-type': 'application/json' })
          .end(JSON.stringify({ detail: parsed.error.message }));
        return;
      }
    }
    const answer = await route.answer(body, entry);
    if (response.destroyed) return;
    response
      .writeHead(answer.status, { 'content-type': 'application/json' })
      .end(JSON.stringify(answer.body));
  };
  const listen = (p: number) =>
    new Promise<number>((resolve) => {
      server = createServer((req, res) => void handler(req, res).catch(() => res.destroy()));
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      server.listen(p, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  const actual = await listen(port);
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    received,
    badRequests,
    kill: stop,
    async restart() {
      await listen(actual);
    },
    close: stop,
  };
}

/** The body an `oreal serve` `/v1/load_weights` takes. */
export const OrealLoadBody = z.strictObject({ path: z.string().min(1), version: z.number().int().min(0) });

/** A completion request as the OpenAI sampler sends it (fields the fakes read). */
export const CompletionBody = z.looseObject({
  model: z.string(),
  prompt: z.string(),
  n: z.number().int().min(1),
});

/** Routes of a fake `oreal serve`: loads set the version (or fail with `failLoad`), completions answer `n` choices after `delayMs` and report the version. */
export function orealServeRoutes(state: {
  version: number | null;
  failLoad?: string;
  delayMs?: number;
  onCompletion?: () => void;
}): Record<string, Route> {
  return {
    'POST /v1/load_weights': {
      schema: OrealLoadBody,
      answer(body) {
        const { path, version } = body as z.output<typeof OrealLoadBody>;
        if (state.failLoad)
          return { status: 400, body: { error: { message: `${path}: ${state.failLoad}` } } };
        state.version = version;
        return { status: 200, body: { version, path, seconds: 0.01 } };
      },
    },
    'GET /v1/models': {
      answer: () => ({
        status: 200,
        body: { object: 'list', data: [{ id: 'tiny', weight_version: state.version }] },
      }),
    },
    'POST /v1/completions': {
      schema: CompletionBody,
      async answer(body) {
        state.onCompletion?.();
        const version = state.version; // the weights that decode this request
        await new Promise((resolve) => setTimeout(resolve, state.delayMs ?? 5));
        const { n, prompt } = body as z.output<typeof CompletionBody>;
        return {
          status: 200,
          body: {
            id: 'cmpl-1',
            object: 'text_completion',
            model: 'tiny',
            weight_version: version,
            choices: Array.from({ length: n }, (_, index) => ({
              index,
              text: `${prompt} answer ${index}`,
              finish_reason: 'stop',
              logprobs: null,
            })),
          },
        };
      },
    },
  };
}
