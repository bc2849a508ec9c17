// Micro-benchmarks of the sampler's own JS work, with core's fake policy (no model compute):
// the per-token sampling step, the local sampler's loop overhead, and the HTTP client against a
// canned node:http server. Real-model numbers: apps/trainer-cli/bench/sampler.bench.ts.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { SeededRng } from '@oreal-ts/core';
import { createFakeTokenizer, createTabularPolicy } from '@oreal-ts/core/testing';
import { createLocalSampler, createOpenAISampler, questionOnlyPrompt, sampleToken } from '../src/index';
import { writeBenchResult } from '../../../tools/scripts/src/bench-output.mjs';

function timeIt(run: () => void, minMs = 400): number {
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    run();
    count++;
  }
  return count / ((performance.now() - start) / 1000);
}

it('measures the sampler without a model', async () => {
  const rng = new SeededRng(1);
  const sampling: Record<string, number> = {};
  for (const vocab of [128, 32_768]) {
    const logits = Float32Array.from({ length: vocab }, () => rng.normal() * 3);
    sampling[`greedy_v${vocab}_per_s`] = timeIt(() => sampleToken(logits, { temperature: 0, topP: 1 }, rng));
    sampling[`t1_v${vocab}_per_s`] = timeIt(() => sampleToken(logits, { temperature: 1, topP: 1 }, rng));
    sampling[`t1_topk50_topp0.9_v${vocab}_per_s`] = timeIt(() => sampleToken(logits, { temperature: 1, topP: 0.9, topK: 50 }, rng));
  }

  // Local sampler loop overhead: the fake policy answers instantly, so this is the JS cost per token.
  const logits = new Array(128).fill(0);
  logits[0] = -50; // no EOS: every row runs to maxNewTokens
  const policy = createTabularPolicy({ vocabSize: 128, initialLogits: logits });
  const tokenizer = createFakeTokenizer();
  const problems = Array.from({ length: 4 }, (_, i) => ({ id: `p${i}`, question: `question ${i}`, answer: '' }));
  const local: Record<string, number> = {};
  for (const batchSize of [1, 16]) {
    const sampler = createLocalSampler({ policy, tokenizer, prompt: questionOnlyPrompt, batchSize });
    const start = performance.now();
    const groups = await sampler.sample(problems, { n: 4, temperature: 1, topP: 0.9, maxNewTokens: 64, seed: 1, stop: ['###'] });
    const tokens = groups.flatMap((g) => g.rollouts).reduce((s, r) => s + r.tokenIds.length, 0);
    local[`batch${batchSize}_tokens_per_s`] = tokens / ((performance.now() - start) / 1000);
  }

  // HTTP client against a canned server (no generation): requests/s with 8 in flight.
  const body = JSON.stringify({ choices: [{ index: 0, text: 'answer \\boxed{1}', finish_reason: 'stop', logprobs: { tokens: ['a'], token_logprobs: [-0.1] } }] });
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const http = createOpenAISampler({ baseUrls: [url], model: 'm', mode: 'completions', concurrencyPerUrl: 8 });
  const many = Array.from({ length: 400 }, (_, i) => ({ id: `p${i}`, question: `q${i}`, answer: '' }));
  await http.sample(many.slice(0, 20), { n: 1, temperature: 1, topP: 1, maxNewTokens: 8 }); // warm-up
  const start = performance.now();
  const groups = await http.sample(many, { n: 1, temperature: 1, topP: 1, maxNewTokens: 8 });
  const httpRequestsPerSecond = many.length / ((performance.now() - start) / 1000);
  server.close();
  expect(groups).toHaveLength(many.length);

  const result = {
    command: 'cd packages/sampler && npm run bench',
    note: 'fake policy (no model compute); CPU shared with other jobs when taken',
    samplingSteps: sampling,
    localSamplerOverhead: local,
    httpClientAgainstCannedServer: { requestsPerSecond: httpRequestsPerSecond, concurrencyPerUrl: 8, requests: many.length },
  };
  console.log(JSON.stringify(result, null, 2));
  writeBenchResult('sampler', 'sampler-micro', result);
  expect(local.batch16_tokens_per_s).toBeGreaterThan(0);
});
