/**
 * An in-test fake Tinker server on 127.0.0.1 (port 0) following the documented wire shapes
 * (bodies validated with the package's schemas). Its "engine" is a tiny bigram table model:
 * logp(next | prev) = log softmax(W[prev])[next]; cross_entropy forward_backward accumulates
 * ∂(Σ −w_i logp_i)/∂W; optim_step is plain SGD (W −= lr · G) reporting grad_norm.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TINKER_OPS, type TinkerOp } from '../src/wire';

export interface Recorded {
  readonly op: string;
  readonly body: Record<string, unknown>;
  readonly headers: IncomingMessage['headers'];
}

/** A scripted reply instead of the normal one (consumed in order per op). */
export type Scripted = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang';

export class FakeTinkerServer {
  readonly requests: Recorded[] = [];
  /** Scripted replies per op (`retrieve_future` included), consumed first. */
  readonly script = new Map<string, Scripted[]>();
  /** Polls answering 408 before a future is ready. */
  pendingPolls = 0;
  extensions: string[] = [];
  /** Override a future's result (e.g. an invalid body). */
  resultOverride: ((op: string, result: unknown) => unknown) | undefined;
  /** Delay (ms) before answering a request of `op` with `body`. */
  delay: ((op: string, body: Record<string, unknown>) => number) | undefined;
  /** Most requests in flight at once. */
  maxInFlight = 0;
  private inFlight = 0;
  readonly vocab: number;
  weights: number[][];
  gradient: number[][];
  private server: Server | undefined;
  private futures = new Map<string, { op: string; result: unknown; polls: number }>();
  private nextId = 0;

  /** Context-free mode: logp(next | prev) = log softmax(W[0])[next] for every prev (core's TabularPolicy model). */
  readonly unigram: boolean;

  constructor(vocab = 5, seed = 1, unigram = false) {
    this.vocab = vocab;
    this.unigram = unigram;
    let s = seed;
    const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
    this.weights = Array.from({ length: vocab }, () => Array.from({ length: vocab }, () => rand()));
    this.gradient = this.zeros();
  }

  zeros(): number[][] {
    return Array.from({ length: this.vocab }, () => new Array<number>(this.vocab).fill(0));
  }

  /** log softmax(W[prev])[next] under weights `w`. */
  logProb(prev: number, next: number, w = this.weights): number {
    const row = w[this.unigram ? 0 : prev] as number[];
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
    return (row[next] as number) - lse;
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  ops(op: string): Recorded[] {
    return this.requests.filter((r) => r.op === op);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const op = (req.url ?? '').replace(/^\/api\/v1\//, '');
    const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    this.requests.push({ op, body, headers: req.headers });
    const wait = this.delay?.(op, body) ?? 0;
    if (wait > 0) {
      this.inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      await new Promise((resolve) => setTimeout(resolve, wait));
      this.inFlight -= 1;
    }
    const scripted = this.script.get(op)?.shift();
    if (scripted === 'hang') return;
    if (scripted) return this.send(res, scripted.status, scripted.body ?? {}, scripted.headers);
    if (op === 'retrieve_future') {
      const future = this.futures.get(String(body['request_id']));
      if (!future) return this.send(res, 404, { detail: 'unknown request_id' });
      if (future.polls < this.pendingPolls) {
        future.polls += 1;
        return this.send(res, 408, { type: 'try_again', request_id: body['request_id'], queue_state: 'active' });
      }
      return this.send(res, 200, this.resultOverride ? this.resultOverride(future.op, future.result) : future.result);
    }
    const spec = TINKER_OPS[op as TinkerOp];
    if (!spec) return this.send(res, 404, { detail: `unknown op ${op}` });
    const parsed = spec.request.safeParse(spec.method === 'GET' ? undefined : body);
    if (!parsed.success) return this.send(res, 400, { detail: parsed.error.message });
    const result = this.execute(op as TinkerOp, parsed.data as Record<string, unknown>);
    if (!spec.future) return this.send(res, 200, result);
    const requestId = `req-${++this.nextId}`;
    this.futures.set(requestId, { op, result, polls: 0 });
    return this.send(res, 200, { request_id: requestId });
  }

  private execute(op: TinkerOp, body: Record<string, unknown>): unknown {
    switch (op) {
      case 'get_server_capabilities':
        return { supported_models: [{ model_name: 'tiny/bigram' }], ...(this.extensions.length ? { oreal_extensions: this.extensions } : {}) };
      case 'create_session':
        return { session_id: 'session-1' };
      case 'session_heartbeat':
        return {};
      case 'create_model':
        return { model_id: `model-${String(body['model_seq_id'])}` };
      case 'get_info':
        return { model_id: body['model_id'], model_data: { model_name: 'tiny/bigram' }, is_lora: true, lora_rank: 1 };
      case 'forward':
      case 'forward_backward': {
        const input = (body['forward_input'] ?? body['forward_backward_input']) as {
          data: { model_input: { chunks: { tokens: number[] }[] }; loss_fn_inputs: Record<string, { data: number[] }> }[];
        };
        let lossSum = 0;
        const outputs = input.data.map((datum) => {
          const tokens = datum.model_input.chunks.flatMap((c) => c.tokens);
          const targets = datum.loss_fn_inputs['target_tokens']?.data ?? [];
          const weights = datum.loss_fn_inputs['weights']?.data ?? [];
          const logprobs = tokens.map((prev, i) => this.logProb(prev, targets[i] as number));
          logprobs.forEach((lp, i) => {
            const w = weights[i] ?? 0;
            lossSum += -w * lp;
            if (op === 'forward_backward' && w !== 0) {
              // ∂(−w · logp)/∂W[prev][j] = −w (1[j = next] − softmax_j)
              const prev = tokens[i] as number;
              const next = targets[i] as number;
              const row = this.gradient[this.unigram ? 0 : prev] as number[];
              for (let j = 0; j < this.vocab; j++) {
                const p = Math.exp(this.logProb(prev, j));
                row[j] = (row[j] as number) - w * ((j === next ? 1 : 0) - p);
              }
            }
          });
          return { logprobs: { data: logprobs, dtype: 'float32', shape: [logprobs.length] } };
        });
        return { loss_fn_output_type: 'target_token_logprobs', loss_fn_outputs: outputs, metrics: { 'loss:sum': lossSum } };
      }
      case 'optim_step': {
        const lr = (body['adam_params'] as { learning_rate: number }).learning_rate;
        const norm = Math.sqrt(this.gradient.flat().reduce((a, g) => a + g * g, 0));
        this.weights = this.weights.map((row, i) => row.map((w, j) => w - lr * (this.gradient[i]?.[j] as number)));
        this.gradient = this.zeros();
        return { metrics: { grad_norm: norm, clipped: 0 } };
      }
      case 'save_weights_for_sampler':
        return { path: `tinker://model/sampler_weights/${String(body['path'])}` };
      case 'save_weights':
        return { path: `tinker://model/weights/${String(body['path'])}` };
      case 'load_weights':
        return { path: body['path'] };
      case 'create_sampling_session':
        return { sampling_session_id: `sampling-${String(body['sampling_session_seq_id'])}` };
      case 'asample': {
        const n = body['num_samples'] as number;
        const params = body['sampling_params'] as { max_tokens: number };
        const prompt = (body['prompt'] as { chunks: { tokens: number[] }[] }).chunks.flatMap((c) => c.tokens);
        // Deterministic: greedy continuation from the prompt's last token, sample k offset by k.
        const sequences = Array.from({ length: n }, (_, k) => {
          const tokens: number[] = [];
          const logprobs: number[] = [];
          let prev = prompt[prompt.length - 1] as number;
          for (let t = 0; t < params.max_tokens; t++) {
            const next = (prev + 1 + k) % this.vocab;
            tokens.push(next);
            logprobs.push(this.logProb(prev, next));
            prev = next;
          }
          return { tokens, logprobs, stop_reason: 'length' };
        });
        return { type: 'sample', sequences };
      }
    }
  }
}
