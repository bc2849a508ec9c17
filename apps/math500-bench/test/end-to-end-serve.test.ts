/**
 * End to end through HTTP: a tiny random transformer (tensor-model) with its character tokenizer is
 * saved, served with `oreal serve`'s `startServer` on 127.0.0.1, and the harness CLI evaluates 20
 * MATH-500 problems with n = 2 through `/v1/completions`. Then a second run goes through a proxy that
 * answers some requests with HTTP 500 and drops others; it is killed midway (AbortSignal, plus a torn
 * last line as a kill mid-write leaves) and resumed until done: every (problem, sample) is in the
 * results exactly once. The same again with a real kill: the CLI (bundled from source) runs as a child
 * process and is SIGKILLed midway. Finally the checkpoint is evaluated in-process with `--checkpoint`.
 */
import { spawn } from 'node:child_process';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCharTokenizer, createTransformerPolicy, initBackend, loadTokenizer, loadTransformerPolicy } from '@oreal-ts/tensor-model';
import { startServer } from '@oreal-ts/trainer-cli';
import { runCli } from '../src/index';
import { bundleCliFromSource, hasMath500, math500File, NO_DATA_REASON, temporaryDir } from './helpers';

const PROBLEMS = 20;
const N = 2;
const MODEL = 'tiny-random';

/** Every character of MATH-500 (ASCII only, per its SOURCE.md) and of the `plain` template. */
const CHARACTERS = '\t\n' + Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');

interface Fixture {
  dir: string;
  data: string;
  checkpoint: string;
  server: { url: string; close(): Promise<void> };
}

let fixture: Fixture | undefined;


async function shortestProblems(dir: string): Promise<string> {
  const lines = (await readFile(math500File, 'utf8')).trim().split('\n');
  const shortest = lines
    .map((line) => ({ line, length: (JSON.parse(line) as { problem: string }).problem.length }))
    .sort((a, b) => a.length - b.length)
    .slice(0, PROBLEMS)
    .map((x) => x.line);
  const file = join(dir, 'math500-20.jsonl');
  await writeFile(file, shortest.join('\n') + '\n');
  return file;
}

function keysOf(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const r = JSON.parse(line) as { unique_id: string; sample: number };
      return `${r.unique_id}#${r.sample}`;
    });
}

/** A proxy that fails some requests: every 4th gets HTTP 500, every 7th is dropped (socket destroyed). */
function flakyProxy(target: string, onForwarded: (count: number) => void): Promise<{ url: string; server: Server; failures: () => number }> {
  const upstream = new URL(target);
  let requests = 0;
  let forwarded = 0;
  let failures = 0;
  const server = createServer((req, res) => {
    const index = ++requests;
    if (index % 4 === 0) {
      failures++;
      req.resume();
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'flaky proxy: injected failure' } }));
      return;
    }
    if (index % 7 === 0) {
      failures++;
      req.resume();
      req.socket.destroy();
      return;
    }
    const proxied = httpRequest(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (upstreamResponse) => {
        res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(res);
        upstreamResponse.on('end', () => onForwarded(++forwarded));
      },
    );
    proxied.on('error', () => res.destroy());
    req.pipe(proxied);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, failures: () => failures }),
    ),
  );
}

const baseArgs = (f: Fixture, endpoint: string, out: string) => [
  '--endpoint', endpoint,
  '--model', MODEL,
  '--api', 'completions',
  '--template', 'plain',
  '--data', f.data,
  '--n', String(N),
  '--max-tokens', '24',
  '--temperature', '1',
  '--top-p', '1',
  '--seed', '3',
  '--concurrency', '4',
  '--max-retries', '6',
  '--verifier-threads', '0',
  '--out', out,
];

describe.skipIf(!hasMath500)(`end to end with oreal serve on 127.0.0.1 (${hasMath500 ? 'MATH-500 present' : NO_DATA_REASON})`, () => {
  beforeAll(async () => {
    await initBackend({ quiet: true });
    const dir = await temporaryDir('math500-e2e-');
    const tokenizer = createCharTokenizer({ characters: CHARACTERS });
    const policy = createTransformerPolicy(
      {
        vocab_size: tokenizer.vocabSize,
        hidden_size: 32,
        intermediate_size: 64,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        max_position_embeddings: 512,
        eos_token_id: tokenizer.eosTokenId,
      },
      { seed: 1 },
    );
    const checkpoint = join(dir, 'checkpoint');
    await policy.save(checkpoint);
    await tokenizer.save(checkpoint);
    policy.dispose();
    // Serve what was saved, as `oreal serve --checkpoint DIR` does.
    const served = await loadTransformerPolicy(checkpoint);
    const server = await startServer({ policy: served, tokenizer: await loadTokenizer(checkpoint), modelName: MODEL, host: '127.0.0.1', port: 0 });
    fixture = { dir, data: await shortestProblems(dir), checkpoint, server };
  }, 120_000);

  afterAll(async () => {
    await fixture?.server.close();
  });

  it('evaluates 20 problems × 2 samples through HTTP and writes every output', async () => {
    const f = fixture as Fixture;
    const out = join(f.dir, 'run-clean');
    const logs: string[] = [];
    const printed: string[] = [];
    const code = await runCli(baseArgs(f, f.server.url, out), { log: (m) => logs.push(m), print: (m) => printed.push(m) });
    expect(code, logs.join('\n')).toBe(0);
    const keys = keysOf(await readFile(join(out, 'results.jsonl'), 'utf8'));
    expect(keys).toHaveLength(PROBLEMS * N);
    expect(new Set(keys).size).toBe(PROBLEMS * N);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ model: MODEL, problems: PROBLEMS, samples: PROBLEMS * N, complete: true, samplesPerProblem: N });
    expect(summary.passAtK).toHaveLength(N);
    expect(summary.meanResponseChars).toBeGreaterThan(0);
    expect(summary.meanResponseChars).toBeLessThanOrEqual(24 * 5); // ≤ 24 tokens of one character (EOS adds none)
    expect(printed.join('\n')).toMatch(/MATH-500 tiny-random: pass@1/);
    for (const file of ['report.md', 'accuracy.svg', 'accuracy.png', 'run.json']) expect((await readFile(join(out, file))).length).toBeGreaterThan(0);
  });

  it('killed midway against a flaky server and resumed: each (problem, sample) exactly once', async () => {
    const f = fixture as Fixture;
    const out = join(f.dir, 'run-flaky');
    const controller = new AbortController();
    const proxy = await flakyProxy(f.server.url, (forwarded) => {
      if (forwarded === 12) controller.abort(new Error('killed midway'));
    });
    try {
      const logs: string[] = [];
      await expect(runCli(baseArgs(f, proxy.url, out), { log: (m) => logs.push(m), print: () => undefined, signal: controller.signal })).rejects.toThrow(
        'killed midway',
      );
      const afterKill = keysOf(await readFile(join(out, 'results.jsonl'), 'utf8'));
      expect(afterKill.length).toBeGreaterThan(0);
      expect(afterKill.length).toBeLessThan(PROBLEMS * N);
      await appendFile(join(out, 'results.jsonl'), '{"unique_id":"test/alg'); // as a kill during a write leaves it

      let code = 1;
      for (let attempt = 0; attempt < 5 && code !== 0; attempt++) {
        code = await runCli([...baseArgs(f, proxy.url, out), '--resume'], { log: (m) => logs.push(m), print: () => undefined });
      }
      expect(code, logs.join('\n')).toBe(0);
      expect(proxy.failures()).toBeGreaterThan(0);
      expect(logs.join('\n')).toMatch(/torn last line/);
      const keys = keysOf(await readFile(join(out, 'results.jsonl'), 'utf8'));
      expect(keys).toHaveLength(PROBLEMS * N);
      expect(new Set(keys).size).toBe(PROBLEMS * N);
      for (const key of afterKill) expect(keys).toContain(key);
      const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
      expect(summary).toMatchObject({ samples: PROBLEMS * N, complete: true });
    } finally {
      await new Promise((resolve) => proxy.server.close(resolve));
      proxy.server.closeAllConnections();
    }
  });

  it('a real kill: the CLI as a child process, SIGKILLed midway against the flaky server, then resumed — each (problem, sample) once', async () => {
    const f = fixture as Fixture;
    const out = join(f.dir, 'run-sigkill');
    const cli = await bundleCliFromSource();
    const proxy = await flakyProxy(f.server.url, () => undefined);
    try {
      const child = spawn(process.execPath, [cli, ...baseArgs(f, proxy.url, out)], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
      const results = join(out, 'results.jsonl');
      // Kill as soon as about a quarter of the samples are on disk.
      for (let waited = 0; waited < 60_000; waited += 50) {
        const text = await readFile(results, 'utf8').catch(() => '');
        if (keysOf(text).length >= (PROBLEMS * N) / 4 || child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGKILL');
      expect(await exited, stderr).toBe('SIGKILL');
      const text = await readFile(results, 'utf8');
      const afterKill = keysOf(text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1));
      expect(afterKill.length).toBeGreaterThan(0);
      expect(afterKill.length).toBeLessThan(PROBLEMS * N);

      const logs: string[] = [];
      let code = 1;
      for (let attempt = 0; attempt < 5 && code !== 0; attempt++) {
        code = await runCli([...baseArgs(f, proxy.url, out), '--resume'], { log: (m) => logs.push(m), print: () => undefined });
      }
      expect(code, logs.join('\n')).toBe(0);
      const keys = keysOf(await readFile(results, 'utf8'));
      expect(keys).toHaveLength(PROBLEMS * N);
      expect(new Set(keys).size).toBe(PROBLEMS * N);
      for (const key of afterKill) expect(keys).toContain(key);
    } finally {
      await new Promise((resolve) => proxy.server.close(resolve));
      proxy.server.closeAllConnections();
    }
  });

  it('evaluates the same checkpoint in-process with --checkpoint', async () => {
    const f = fixture as Fixture;
    const out = join(f.dir, 'run-local');
    const logs: string[] = [];
    const code = await runCli(
      ['--checkpoint', f.checkpoint, '--template', 'plain', '--data', f.data, '--limit', '5', '--n', '2', '--max-tokens', '16', '--verifier-threads', '0', '--out', out],
      { log: (m) => logs.push(m), print: () => undefined },
    );
    expect(code, logs.join('\n')).toBe(0);
    const lines = (await readFile(join(out, 'results.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { response_tokens: number | null });
    expect(lines).toHaveLength(10);
    expect(lines.every((l) => l.response_tokens !== null && l.response_tokens <= 16)).toBe(true);
  });
});
