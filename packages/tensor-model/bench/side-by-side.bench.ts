/**
 * Side-by-side benchmark (issue 17): trains exactly the two configurations PyTorch 1.13 (OpenBLAS,
 * one thread) was measured on, on this machine, with the same shapes, optimiser and tokens per step:
 *
 * | config | layers | d_model | heads | ffn | seq × batch |
 * |---|---|---|---|---|---|
 * | A | 4 | 128 | 4 | 352 | 128 × 16 |
 * | B | 6 | 256 | 8 | 688 | 256 × 8 |
 *
 * (vocab 64, RMSNorm, rotary, SwiGLU, untied head, fp32, AdamW, cross-entropy over all positions.)
 * Per config it records train tokens/s, achieved GFLOP/s counted as 6 · parameters · tokens (the
 * PyTorch figure's convention: attention's T² products are not counted), its fraction of the
 * backend's 2-D matMul rate measured at the config's own shapes in the same run, and KV-cache
 * sampling tokens/s at batch 1 and 16 (prompt 16, 112 new tokens, multinomial at T = 1). The load
 * average is written beside every figure: figures taken on a busy machine are not comparable.
 * Result: bench-results/tensor-model/side-by-side.json. `TENSOR_MODEL_BENCH_SMOKE=1` shrinks it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { SeededRng } from '@oreal-ts/core';
import { initBackend, createTransformerPolicy, parseTransformerConfig, type BackendReport, type TransformerConfigInput } from '../src/index';
import { writeBenchResult } from '../../../tools/scripts/src/bench-output.mjs';
import { medianMs, meanNll, randomBatch } from './bench-helpers';

const SMOKE = process.env.TENSOR_MODEL_BENCH_SMOKE === '1';

interface SideBySideConfig {
  readonly name: 'A' | 'B';
  readonly model: TransformerConfigInput;
  readonly sequence: number;
  readonly batch: number;
  /** PyTorch 1.13 + OpenBLAS, one thread, same machine (issue 17 / tech-notes). */
  readonly pytorch: { readonly trainTokensPerSecond: number; readonly samplingB16TokensPerSecond: number };
  /** Issue 17's target: half of PyTorch's one-thread training figure. */
  readonly targetTrainTokensPerSecond: number;
}

const CONFIGS: readonly SideBySideConfig[] = [
  {
    name: 'A',
    model: { vocab_size: 64, hidden_size: 128, intermediate_size: 352, num_hidden_layers: 4, num_attention_heads: 4, max_position_embeddings: 512 },
    sequence: 128,
    batch: 16,
    pytorch: { trainTokensPerSecond: 10_900, samplingB16TokensPerSecond: 5_400 },
    targetTrainTokensPerSecond: 5_500,
  },
  {
    name: 'B',
    model: { vocab_size: 64, hidden_size: 256, intermediate_size: 688, num_hidden_layers: 6, num_attention_heads: 8, max_position_embeddings: 512 },
    sequence: 256,
    batch: 8,
    pytorch: { trainTokensPerSecond: 2_040, samplingB16TokensPerSecond: 1_700 },
    targetTrainTokensPerSecond: 1_000,
  },
];

const PROMPT_TOKENS = SMOKE ? 4 : 16;
const NEW_TOKENS = SMOKE ? 8 : 112;

let backend: BackendReport;
beforeAll(async () => {
  backend = await initBackend({ quiet: true });
});

/** The 1-minute load average and the machine's core count, written beside a figure. */
function load(): { loadAverage1m: number; cpus: number } {
  return { loadAverage1m: Number((os.loadavg()[0] ?? 0).toFixed(2)), cpus: os.cpus().length };
}

/** Best 2-D matMul GFLOP/s over the config's parameter shapes ([tokens, d] × [d, n]). */
function matMulRate(tokens: number, d: number, ffn: number): { gflops: number; shapes: { m: number; k: number; n: number; gflops: number }[] } {
  const shapes: [number, number, number][] = [
    [tokens, d, 2 * ffn], // gate|up
    [tokens, ffn, d], // down
    [tokens, d, 3 * d], // q|k|v
  ];
  const results = shapes.map(([m, k, n]) => {
    const a = tf.randomNormal([m, k]) as tf.Tensor2D;
    const b = tf.randomNormal([k, n]) as tf.Tensor2D;
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      const start = performance.now();
      tf.tidy(() => void tf.sum(tf.matMul(a, b)).dataSync());
      if (i > 0) times.push(performance.now() - start);
    }
    tf.dispose([a, b]);
    times.sort((x, y) => x - y);
    const ms = times[Math.floor(times.length / 2)] as number;
    return { m, k, n, gflops: (2 * m * k * n) / ms / 1e6 };
  });
  return { gflops: Math.max(...results.map((r) => r.gflops)), shapes: results };
}

/** Index drawn from softmax(logits) (temperature 1) with `rng`. */
function multinomial(logits: Float32Array, rng: SeededRng): number {
  let max = -Infinity;
  for (const value of logits) if (value > max) max = value;
  let total = 0;
  const weights = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) total += weights[i] = Math.exp((logits[i] as number) - max);
  let u = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i] as number;
    if (u <= 0) return i;
  }
  return weights.length - 1;
}

/** KV-cache sampling tokens/s: prompt of PROMPT_TOKENS, NEW_TOKENS multinomial tokens per row (one warm-up session first). */
async function samplingTokensPerSecond(policy: ReturnType<typeof createTransformerPolicy>, vocab: number, batch: number): Promise<number> {
  const rng = new SeededRng(7);
  const prompts = Array.from({ length: batch }, () => Array.from({ length: PROMPT_TOKENS }, () => rng.int(vocab)));
  const session = async () => {
    const decoding = await policy.startDecoding(prompts);
    try {
      let logits = await decoding.prefill();
      for (let t = 0; t < NEW_TOKENS - 1; t++) logits = await decoding.step(logits.map((row) => multinomial(row, rng)));
      logits.forEach((row) => multinomial(row, rng));
    } finally {
      decoding.dispose();
    }
  };
  const ms = await medianMs(session, SMOKE ? 1 : 2);
  return (batch * NEW_TOKENS) / (ms / 1000);
}

describe('side-by-side with PyTorch (configs A and B)', () => {
  it('trains A and B and samples with the KV cache at batch 1 and 16', async () => {
    const results = [];
    for (const spec of CONFIGS) {
      const config = parseTransformerConfig(spec.model);
      const batchRows = SMOKE ? 2 : spec.batch;
      const sequence = SMOKE ? 16 : spec.sequence;
      const tokens = batchRows * sequence;
      const policy = createTransformerPolicy(config, { seed: 1, training: { learningRate: 1e-3 } });
      const batch = randomBatch(config.vocab_size, batchRows, 1, sequence, 2); // one prompt token: `sequence` positions read, all scored
      const matMulLoad = load();
      const matMul = matMulRate(tokens, config.hidden_size, config.intermediate_size);
      const trainLoad = load();
      const stepMs = await medianMs(async () => {
        await policy.accumulateGradients(batch, meanNll);
        await policy.applyGradients();
      }, SMOKE ? 1 : 5);
      const trainTokensPerSecond = tokens / (stepMs / 1000);
      const gflops = (6 * policy.parameterCount * tokens) / stepMs / 1e6;
      const samplingLoad = load();
      const samplingB1 = await samplingTokensPerSecond(policy, config.vocab_size, 1);
      const samplingB16 = await samplingTokensPerSecond(policy, config.vocab_size, 16);
      policy.dispose();
      results.push({
        config: spec.name,
        parameters: policy.parameterCount,
        shape: { layers: config.num_hidden_layers, dModel: config.hidden_size, heads: config.num_attention_heads, ffn: config.intermediate_size, sequence, batch: batchRows },
        train: { stepMs, tokensPerSecond: trainTokensPerSecond, gflops, fractionOfMatMul: gflops / matMul.gflops, ...trainLoad },
        matMul: { ...matMul, ...matMulLoad },
        sampling: { promptTokens: PROMPT_TOKENS, newTokens: NEW_TOKENS, batch1TokensPerSecond: samplingB1, batch16TokensPerSecond: samplingB16, ...samplingLoad },
        pytorch: spec.pytorch,
        versusPytorch: { train: trainTokensPerSecond / spec.pytorch.trainTokensPerSecond, samplingB16: samplingB16 / spec.pytorch.samplingB16TokensPerSecond },
        target: { trainTokensPerSecond: spec.targetTrainTokensPerSecond, met: !SMOKE && trainTokensPerSecond >= spec.targetTrainTokensPerSecond },
      });
      console.log(`side-by-side ${spec.name}: train ${trainTokensPerSecond.toFixed(0)} tokens/s (${gflops.toFixed(1)} GFLOP/s, ${((100 * gflops) / matMul.gflops).toFixed(0)}% of matMul ${matMul.gflops.toFixed(1)}), sampling b1 ${samplingB1.toFixed(0)} b16 ${samplingB16.toFixed(0)} tokens/s, load ${trainLoad.loadAverage1m}`);
    }
    writeBenchResult('tensor-model', 'side-by-side', {
      smoke: SMOKE,
      backend: backend.backend,
      wasmThreads: backend.wasmThreads ?? null,
      flopsConvention: '6 · parameters · tokens (attention T² products not counted)',
      results,
    });
    expect(results.map((r) => r.config)).toEqual(['A', 'B']);
    for (const r of results) expect(r.train.tokensPerSecond).toBeGreaterThan(0);
  });
});
