/**
 * Child-process probe of `test/wasm-threads.test.ts`: starts the wasm backend as the environment
 * says (`OREAL_WASM_THREADS`; `PROBE_BREAK=shared-memory|worker` removes a prerequisite of the
 * threaded build first), trains a small GQA model for two AdamW steps, and prints one JSON line:
 * the thread decision, the replaced kernels (`OREAL_WASM_KERNELS`), the log-probabilities after training and every weight (base64 float32).
 * With `PROBE_NATURAL_EXIT` it does not call `process.exit`.
 */
import { Worker } from 'node:worker_threads';
import { SeededRng } from '@oreal-ts/core';
import { createTransformerPolicy, initBackend, parseTransformerConfig } from '../../src/index';

const toBase64 = (values: Float32Array) => Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');

async function main(): Promise<void> {
  const broken = process.env.PROBE_BREAK;
  if (broken === 'shared-memory') delete (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer;
  if (broken === 'worker') {
    Worker.prototype.postMessage = () => {
      throw new Error('probe: workers refuse messages');
    };
  }
  const report = await initBackend({ quiet: true });
  const config = parseTransformerConfig({
    vocab_size: 64, hidden_size: 64, intermediate_size: 160, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 128,
  });
  const policy = createTransformerPolicy(config, { seed: 3, training: { learningRate: 1e-2 } });
  const rng = new SeededRng(11);
  const row = (n: number) => Array.from({ length: n }, () => rng.int(64));
  const batch = { promptIds: [row(3), row(5), row(2), row(4)], responseIds: [row(40), row(33), row(45), row(38)] };
  const meanLoss = (values: number[][]) => {
    const count = values.reduce((n, r) => n + r.length, 0);
    return { loss: -values.flat().reduce((a, b) => a + b, 0) / count, gradient: values.map((r) => r.map(() => -1 / count)) };
  };
  for (let step = 0; step < 2; step++) {
    await policy.accumulateGradients(batch, meanLoss);
    await policy.applyGradients();
  }
  const logProbs = Float32Array.from((await policy.logProbs(batch)).flat());
  const weights: Record<string, string> = {};
  for (const [name, tensor] of policy.huggingFaceWeights()) weights[name] = toBase64(tensor.data);
  // A pipe takes a large write asynchronously: exit only once it is flushed.
  const line = JSON.stringify({ backend: report.backend, wasmThreads: report.wasmThreads, wasmKernels: report.wasmKernels, logProbs: toBase64(logProbs), weights }) + '\n';
  await new Promise<void>((resolve) => process.stdout.write(line, () => resolve()));
}

main().then(
  // PROBE_NATURAL_EXIT: end when the event loop empties (the pool's idle threads must not keep it alive).
  () => (process.env.PROBE_NATURAL_EXIT ? undefined : process.exit(0)),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
