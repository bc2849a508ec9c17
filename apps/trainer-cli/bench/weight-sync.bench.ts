// Weight-sync benchmark (issue 14, point 9): publish + reload time against a real `oreal serve`
// process for checkpoints of about 10 MB, 100 MB and 1 GB (random weights, Qwen2 layer shapes:
// GQA with 2 KV heads of width 64, q/k/v biases, SwiGLU MLP; the character vocabulary of the
// server's tokenizer, so embeddings are a small part). For each size:
//   publish  — `createCheckpointPublisher` writes policy-v<N> (F32, full) from the trainer's policy;
//   reload   — the fleet's `oreal serve` target POSTs /v1/load_weights and waits for the answer
//              (the server reads the safetensors, checks every tensor, then swaps them in);
// A completion after the last reload checks that the server decodes and reports the new version.
// Writes bench-results/trainer-cli/weight-sync.json.
import { mkdtemp, rm, stat, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { createOrealServeTarget } from '@oreal-ts/fleet';
import {
  createCharTokenizer,
  createCheckpointPublisher,
  createTransformerPolicy,
  initBackend,
  type TransformerConfigInput,
} from '@oreal-ts/tensor-model';
import { startLocalFleet } from '../src/fleet/local-fleet';
import { writeBenchResult } from '../../../tools/scripts/src/bench-output.mjs';

const CLI_ENTRY = new URL('../dist/cli.js', import.meta.url).pathname;
const characters = ' 0123456789+=abcdefghijklmnopqrstuvwxyz\n';

/** Qwen2-like layer shapes of each size class (head width 64, 2 KV heads). */
const SIZES = [
  { name: '10MB', hidden_size: 384, intermediate_size: 2048, num_hidden_layers: 1, num_attention_heads: 6, repeats: 3, shapesOf: 'small Qwen2-like layer (no released model has it)' },
  { name: '100MB', hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 2, num_attention_heads: 14, repeats: 3, shapesOf: 'Qwen2.5-0.5B layers (2 of 24)' },
  { name: '1GB', hidden_size: 1536, intermediate_size: 8960, num_hidden_layers: 5, num_attention_heads: 12, repeats: 2, shapesOf: 'Qwen2.5-1.5B layers (5 of 28)' },
] as const;

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const file of await readdir(dir)) total += (await stat(join(dir, file))).size;
  return total;
}

it('measures publish + reload time against oreal serve at 10 MB, 100 MB and 1 GB', async () => {
  const backend = await initBackend({ quiet: true });
  const tokenizer = createCharTokenizer({ characters, specialTokens: ['<eos>'] });
  const only = process.env.BENCH_SIZES?.split(',');
  const results: Record<string, unknown>[] = [];
  for (const size of SIZES.filter((s) => !only || only.includes(s.name))) {
    const dir = await mkdtemp(join(tmpdir(), `oreal-weight-sync-${size.name}-`));
    const config: TransformerConfigInput = {
      model_type: 'qwen2',
      vocab_size: tokenizer.vocabSize,
      hidden_size: size.hidden_size,
      intermediate_size: size.intermediate_size,
      num_hidden_layers: size.num_hidden_layers,
      num_attention_heads: size.num_attention_heads,
      num_key_value_heads: 2,
      max_position_embeddings: 64,
    };
    const policy = createTransformerPolicy(config, { seed: 1 });
    let fleet: Awaited<ReturnType<typeof startLocalFleet>> | undefined;
    try {
      const start = join(dir, 'start');
      await policy.save(start);
      await tokenizer.save(start);
      const serverStart = performance.now();
      fleet = await startLocalFleet({
        count: 1,
        checkpoint: start,
        modelName: 'bench',
        cliEntry: CLI_ENTRY,
        logDir: join(dir, 'logs'),
        startTimeoutMs: 600_000,
      });
      const serverStartSeconds = (performance.now() - serverStart) / 1000;
      const server = fleet.servers[0]!;
      const target = createOrealServeTarget({ baseUrl: server.url });
      const publisher = createCheckpointPublisher({ policy, dir: join(dir, 'weights'), keep: 1 });
      const runs: { version: number; publishSeconds: number; reloadSeconds: number; totalSeconds: number; bytes: number }[] = [];
      for (let version = 1; version <= size.repeats; version++) {
        const t0 = performance.now();
        const published = await publisher.publish(version);
        const t1 = performance.now();
        const loaded = await target.loadWeights(published);
        const t2 = performance.now();
        runs.push({
          version,
          publishSeconds: (t1 - t0) / 1000,
          reloadSeconds: (t2 - t1) / 1000,
          totalSeconds: (t2 - t0) / 1000,
          bytes: await folderBytes(published.path),
        });
        expect(loaded).toBe(version);
      }
      const answer = await fetch(`${server.url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'bench', prompt: '1+1=', max_tokens: 2, temperature: 0 }),
      });
      const body = (await answer.json()) as { weight_version?: number };
      expect(answer.status).toBe(200);
      expect(body.weight_version).toBe(size.repeats);
      const best = (key: 'publishSeconds' | 'reloadSeconds' | 'totalSeconds') => Math.min(...runs.map((r) => r[key]));
      const bytes = runs[0]!.bytes;
      results.push({
        size: size.name,
        shapesOf: size.shapesOf,
        config,
        parameters: policy.parameterCount,
        checkpointBytes: bytes,
        serverStartSeconds,
        runs,
        bestPublishSeconds: best('publishSeconds'),
        bestReloadSeconds: best('reloadSeconds'),
        bestTotalSeconds: best('totalSeconds'),
        reloadMBPerSecond: bytes / 1e6 / best('reloadSeconds'),
      });
      console.log(JSON.stringify(results.at(-1)));
    } finally {
      await fleet?.stop();
      policy.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  }
  const file = writeBenchResult('trainer-cli', 'weight-sync', {
    command: 'npx nx run trainer-cli:bench (BENCH_SIZES=10MB,100MB,1GB picks sizes)',
    note:
      process.env.BENCH_NOTE ??
      'one oreal serve child process on 127.0.0.1; F32 full checkpoints written to the OS temp folder; best of the repeats',
    backend: backend.backend,
    sizes: results,
    tensorsAfter: tf.memory().numTensors,
  });
  console.log(`weight-sync benchmark: ${file}`);
  expect(results.length).toBeGreaterThan(0);
});
