// Real-model sampler benchmark (tiny tensor-model GPT on the default tfjs backend):
// local tokens/s at batch 1 vs batch 16 (16 samples of one prompt, as best-of-N draws them, and 16
// distinct prompts), with the decode-attention wasm kernel and with TensorFlow.js ops, with vs
// without the KV cache, and HTTP-sampler requests/s against `oreal serve`.
// Writes bench-results/sampler/local-and-serve.json.
//
// "Without the KV cache" wraps the policy so that every step re-reads the whole prefix: each
// `step()` starts a fresh decoding session on prompt + tokens so far and takes its `prefill()`
// logits, i.e. O(T²) work per sequence, as generation without a cache does.
import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import type { DecodingSession, Policy, Problem, Tokenizer } from '@oreal-ts/core';
import { createCharTokenizer, createTransformerPolicy, initBackend } from '@oreal-ts/tensor-model';
import { createLocalSampler, createOpenAISampler, questionOnlyPrompt } from '@oreal-ts/sampler';
import { startServer } from '../src/serve/index';
import { writeBenchResult } from '../../../tools/scripts/src/bench-output.mjs';

const characters = ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\n';
const MODEL = { hidden_size: 128, intermediate_size: 512, num_hidden_layers: 4, num_attention_heads: 4, max_position_embeddings: 128 };

/** The same policy, decoding without a cache: every step recomputes the whole prefix. */
function withoutKeyValueCache(policy: Policy): Policy {
  return {
    ...policy,
    id: `${policy.id}+no-kv-cache`,
    logProbs: (batch) => policy.logProbs(batch),
    dispose: () => policy.dispose(),
    async startDecoding(promptIds): Promise<DecodingSession> {
      const rows = promptIds.map((ids) => [...ids]);
      const once = async () => {
        const session = await policy.startDecoding(rows);
        try {
          return await session.prefill();
        } finally {
          session.dispose();
        }
      };
      return {
        batchSize: rows.length,
        prefill: once,
        step: async (tokenIds) => {
          tokenIds.forEach((id, r) => rows[r]!.push(id));
          return once();
        },
        dispose: () => undefined,
      };
    },
  };
}

/** `rows` samples of one prompt, or (`distinct`) one sample each of `rows` prompts of the same length. */
async function tokensPerSecond(policy: Policy, tokenizer: Tokenizer, rows: number, batchSize: number, maxNewTokens: number, distinct = false) {
  const problems: Problem[] = distinct
    ? Array.from({ length: rows }, (_, i) => ({ id: `p${i}`, question: `What is ${10 + i} + 30? Answer:`, answer: String(40 + i) }))
    : [{ id: 'p', question: 'What is 12 + 30? Answer:', answer: '42' }];
  const sampler = createLocalSampler({ policy, tokenizer, prompt: questionOnlyPrompt, batchSize });
  const start = performance.now();
  const groups = await sampler.sample(problems, { n: distinct ? 1 : rows, temperature: 1, topP: 1, maxNewTokens, seed: 1 });
  const seconds = (performance.now() - start) / 1000;
  const tokens = groups.flatMap((g) => g.rollouts).reduce((s, r) => s + r.tokenIds.length, 0);
  return { rows, batchSize, maxNewTokens, prompts: problems.length, tokens, seconds, tokensPerSecond: tokens / seconds };
}

/** Batch 1 vs batch 16 for one policy; the best of two runs each (the least disturbed on a shared machine). */
async function batchComparison(policy: Policy, tokenizer: Tokenizer) {
  const best = async (run: () => ReturnType<typeof tokensPerSecond>) => {
    const [a, b] = [await run(), await run()];
    return a.tokensPerSecond >= b.tokensPerSecond ? a : b;
  };
  // Warm-up at every shape: the first batch-16 prefill was measured ~5× slower than later ones (wasm heap growth).
  await tokensPerSecond(policy, tokenizer, 2, 1, 8);
  await tokensPerSecond(policy, tokenizer, 16, 16, 8);
  await tokensPerSecond(policy, tokenizer, 16, 16, 8, true);
  const batch1 = await best(() => tokensPerSecond(policy, tokenizer, 4, 1, 64));
  const batch16 = await best(() => tokensPerSecond(policy, tokenizer, 16, 16, 64));
  const batch16DistinctPrompts = await best(() => tokensPerSecond(policy, tokenizer, 16, 16, 64, true));
  return {
    batch1,
    batch16,
    batch16DistinctPrompts,
    batch16OverBatch1: batch16.tokensPerSecond / batch1.tokensPerSecond,
    batch16DistinctOverBatch1: batch16DistinctPrompts.tokensPerSecond / batch1.tokensPerSecond,
  };
}

it('measures local and HTTP sampling with a real tiny model', async () => {
  const backend = await initBackend({ quiet: true });
  const charTokenizer = createCharTokenizer({ characters, specialTokens: ['<eos>'] });
  // No EOS: every row runs to maxNewTokens, so all settings generate the same number of tokens.
  const tokenizer: Tokenizer = { ...charTokenizer, eosTokenId: undefined };
  const config = { vocab_size: charTokenizer.vocabSize, ...MODEL };
  const policy = createTransformerPolicy(config, { seed: 1 }); // decode attention: auto (the wasm kernel here)
  const tensorOps = createTransformerPolicy(config, { seed: 1, decodeAttention: 'tensors' });
  const kernel = await batchComparison(policy, tokenizer);
  const withTensorOps = await batchComparison(tensorOps, tokenizer);
  tensorOps.dispose();
  const batch16 = kernel.batch16;
  const noCache = withoutKeyValueCache(policy);
  const batch16NoCache = await tokensPerSecond(noCache, tokenizer, 16, 16, 64);
  const batch1NoCache = await tokensPerSecond(noCache, tokenizer, 2, 1, 64);

  const server = await startServer({ policy, tokenizer: charTokenizer, modelName: 'tiny', port: 0 });
  const http = createOpenAISampler({ baseUrls: [server.url], model: 'tiny', mode: 'completions', prompt: questionOnlyPrompt, concurrencyPerUrl: 16 });
  const problems = Array.from({ length: 48 }, (_, i) => ({ id: `p${i}`, question: `What is ${i} + ${i}? Answer:`, answer: String(2 * i) }));
  await http.sample(problems.slice(0, 2), { n: 1, temperature: 1, topP: 1, maxNewTokens: 4 });
  const start = performance.now();
  const groups = await http.sample(problems, { n: 1, temperature: 1, topP: 1, maxNewTokens: 16, seed: 1 });
  const httpSeconds = (performance.now() - start) / 1000;
  await server.close();
  policy.dispose();
  expect(groups).toHaveLength(problems.length);

  const result = {
    command: 'cd apps/trainer-cli && npm run bench',
    note: process.env.BENCH_NOTE ?? 'single run; timings on this 2-core VM vary by ±20% between runs',
    backend: backend.backend,
    model: { ...MODEL, vocab_size: charTokenizer.vocabSize, parameters: policy.parameterCount },
    local: {
      kvCache: kernel,
      kvCacheTensorOpsAttention: withTensorOps,
      kernelOverTensorOps: {
        batch1: kernel.batch1.tokensPerSecond / withTensorOps.batch1.tokensPerSecond,
        batch16: kernel.batch16.tokensPerSecond / withTensorOps.batch16.tokensPerSecond,
      },
      withoutKvCache: { batch1: batch1NoCache, batch16: batch16NoCache },
      kvCacheSpeedupAtBatch16: batch16.tokensPerSecond / batch16NoCache.tokensPerSecond,
    },
    httpAgainstOrealServe: {
      requests: problems.length,
      concurrencyPerUrl: 16,
      maxNewTokens: 16,
      seconds: httpSeconds,
      requestsPerSecond: problems.length / httpSeconds,
      note: 'rows of concurrent requests share decoding batches (up to 16 rows)',
    },
    tensorsAfter: tf.memory().numTensors,
  };
  console.log(JSON.stringify(result, null, 2));
  writeBenchResult('sampler', 'local-and-serve', result);
  expect(batch16.tokensPerSecond).toBeGreaterThan(kernel.batch1.tokensPerSecond);
});
