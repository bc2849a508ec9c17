import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Problem } from '@oreal-ts/core';
import { createMathVerifier, withJudge } from '../src/index';

interface Seen {
  readonly body: { model: string; temperature: number; messages: { role: string; content: string }[] };
  readonly authorization: string | undefined;
}

/** A fake OpenAI-compatible judge on 127.0.0.1: replies by the candidate answer it is shown. */
function startJudge(seen: Seen[]): Promise<Server> {
  const server = createServer((request: IncomingMessage, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    request.on('end', () => {
      const body = JSON.parse(raw) as Seen['body'];
      seen.push({ body, authorization: request.headers.authorization });
      const prompt = body.messages[0]?.content ?? '';
      const candidate = (/Candidate answer: (.*)/.exec(prompt)?.[1] ?? '').replace(/^\\text\{(.*)\}$/, '$1');
      if (request.url !== '/v1/chat/completions') {
        response.writeHead(404).end();
        return;
      }
      if (candidate === 'boom') {
        response.writeHead(500).end('{}');
        return;
      }
      if (candidate === 'slow') {
        setTimeout(() => response.writeHead(200).end(JSON.stringify({ choices: [{ message: { content: 'A' } }] })), 2000);
        return;
      }
      const content = candidate === 'one half' ? 'A' : candidate === 'garbage' ? 'Maybe?' : candidate === 'badbody' ? null : 'B';
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(candidate === 'badbody' ? JSON.stringify({ nope: true }) : JSON.stringify({ choices: [{ message: { content } }] }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const problem: Problem = { id: 'p', question: 'What is 1/2?', answer: '\\frac{1}{2}' };

describe('withJudge against a local HTTP judge', () => {
  const seen: Seen[] = [];
  let server: Server;
  let baseUrl = '';
  beforeAll(async () => {
    server = await startJudge(seen);
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const judged = () => withJudge(createMathVerifier(), { baseUrl, model: 'judge-model', apiKey: 'secret-key', timeoutMs: 500 });

  it('does not ask the judge when the rules already say correct', async () => {
    const before = seen.length;
    const verdict = await judged().verify(problem, '\\boxed{0.5}');
    expect(verdict).toMatchObject({ correct: true, reason: 'numeric-equal' });
    expect(seen.length).toBe(before);
  });

  it('turns a rule mismatch into correct when the judge answers A, sending temperature 0 and the key', async () => {
    const verdict = await judged().verify(problem, '\\boxed{\\text{one half}}');
    expect(verdict.correct).toBe(true);
    expect(verdict.reason).toBe('symbolic-equal');
    expect(verdict.detail).toContain("judge 'judge-model' said A");
    const request = seen[seen.length - 1] as Seen;
    expect(request.body).toMatchObject({ model: 'judge-model', temperature: 0 });
    expect(request.body.messages[0]?.content).toContain('Reference answer: \\frac{1}{2}');
    expect(request.authorization).toBe('Bearer secret-key');
    expect(verdict.detail).not.toContain('secret-key');
  });

  it('keeps the rule verdict when the judge answers B', async () => {
    const verdict = await judged().verify(problem, '\\boxed{7}');
    expect(verdict).toMatchObject({ correct: false, reason: 'mismatch' });
    expect(verdict.detail).toContain('said B');
  });

  it.each([
    ['a reply that is neither A nor B', 'garbage', /neither A nor B/],
    ['an HTTP 500', 'boom', /HTTP 500/],
    ['an unexpected body', 'badbody', /unexpected body/],
    ['a timeout', 'slow', /timed out after 500 ms/],
  ])('counts %s as incorrect with reason error', async (_name, candidate, pattern) => {
    const verdict = await judged().verify(problem, `\\boxed{\\text{${candidate}}}`);
    expect(verdict).toMatchObject({ correct: false, reason: 'error' });
    expect(verdict.detail).toMatch(pattern);
  });

  it('never asks about truncated or answerless responses', async () => {
    const before = seen.length;
    expect((await judged().verify(problem, 'no answer here')).reason).toBe('no-answer');
    expect((await judged().verify(problem, { text: '\\boxed{9}', finishReason: 'length' })).reason).toBe('truncated');
    expect(seen.length).toBe(before);
  });

  it('reports an unreachable judge as error', async () => {
    const verifier = withJudge(createMathVerifier(), { baseUrl: 'http://127.0.0.1:9/v1', model: 'm', timeoutMs: 500 });
    const verdict = await verifier.verify(problem, '\\boxed{7}');
    expect(verdict).toMatchObject({ correct: false, reason: 'error' });
  });
});
