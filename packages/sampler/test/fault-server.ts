// An OpenAI-compatible stub on 127.0.0.1 (node:http) that injects faults: delays, 5xx, 429 with
// Retry-After, dropped connections and short choice lists. Each successful choice's text names the
// prompt and a process-wide serial number, so tests can prove results arrive exactly once.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Serial numbers shared by every stub in the process, so texts are unique across servers. */
let serial = 0;

export type Fault =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'drop' } // destroy the socket before answering (a reset)
  | { kind: 'delay'; ms: number } // answer correctly, but late
  | { kind: 'short'; choices: number } // return fewer choices than asked
  | { kind: 'garbage' }; // 200 with a body that is not a valid response

export interface StubRequest {
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly headers: IncomingMessage['headers'];
}

export interface FaultServer {
  readonly url: string;
  readonly requests: StubRequest[];
  /** Choices served successfully (texts). */
  readonly served: string[];
  maxConcurrent: number;
  close(): Promise<void>;
}

/** Start a stub; `decide(requestNumber, request)` picks the fault for each request (0-based). */
export async function startFaultServer(decide: (requestNumber: number, request: StubRequest) => Fault): Promise<FaultServer> {
  const requests: StubRequest[] = [];
  const served: string[] = [];
  let concurrent = 0;
  const state = { maxConcurrent: 0 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const request: StubRequest = { path: req.url ?? '', body: JSON.parse(raw) as Record<string, unknown>, headers: req.headers };
      const number = requests.push(request) - 1;
      concurrent++;
      state.maxConcurrent = Math.max(state.maxConcurrent, concurrent);
      const finish = () => {
        concurrent--;
      };
      const fault = decide(number, request);
      const answer = (choiceCount: number) => {
        const prompt = String(request.body.prompt ?? JSON.stringify(request.body.messages));
        const choices = Array.from({ length: choiceCount }, (_, index) => {
          const text = `${prompt}#${serial++}`;
          served.push(text);
          return request.path.includes('chat')
            ? { index, message: { role: 'assistant', content: text }, finish_reason: 'stop', logprobs: { content: [{ token: 'x', logprob: -0.5 }] } }
            : { index, text, finish_reason: index % 2 ? 'length' : 'stop', logprobs: { tokens: ['x', 'y'], token_logprobs: [-0.5, -1.5] } };
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'x', object: 'text_completion', choices }));
        finish();
      };
      const n = Number(request.body.n ?? 1);
      switch (fault.kind) {
        case 'ok':
          return answer(n);
        case 'short':
          return answer(Math.min(n, fault.choices));
        case 'delay':
          return void setTimeout(() => {
            if (!res.destroyed) answer(n);
            else finish();
          }, fault.ms);
        case 'drop':
          finish();
          return void req.socket.destroy();
        case 'garbage':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"choices": [{"nope": 1}]}');
          return finish();
        case 'status':
          res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
          res.end(JSON.stringify(fault.body ?? { error: { message: `injected ${fault.status}` } }));
          return finish();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    served,
    get maxConcurrent() {
      return state.maxConcurrent;
    },
    set maxConcurrent(v: number) {
      state.maxConcurrent = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
