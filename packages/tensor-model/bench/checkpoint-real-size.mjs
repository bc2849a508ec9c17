/**
 * `npm run bench:checkpoint` (= `nx run tensor-model:bench:checkpoint`, needs `nx run tensor-model:build`):
 * a Qwen2.5-0.5B-shaped random checkpoint (hidden 896, 24 layers, 14 heads, 2 kv heads, intermediate
 * 4864, vocab 151936, tied, BF16, ~1 GB) is written, then in a FRESH process loaded (load time and
 * the process's peak RSS recorded), 16 tokens sampled greedily, and saved back as BF16; the saved
 * weight file must be byte-identical to the original. Separate from `bench` (it takes minutes and
 * ~1 GB of disk). Result: bench-results/tensor-model/checkpoint-0.5b-<backend>.json (`OREAL_BACKEND` picks the backend) (with the load average).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTransformerPolicy, initBackend, loadTransformerPolicy, WEIGHTS_FILE } from '@oreal-ts/tensor-model';
import { writeBenchResult } from '../../../tools/scripts/src/bench-output.mjs';

const CONFIG = {
  model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'], vocab_size: 151936, hidden_size: 896, intermediate_size: 4864,
  num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, max_position_embeddings: 32768, rope_theta: 1000000,
  rms_norm_eps: 1e-6, tie_word_embeddings: true, rope_scaling: null, use_sliding_window: false, hidden_act: 'silu',
};
const [mode, dir, out] = process.argv.slice(2);

async function write() {
  const backend = await initBackend({ quiet: true });
  const policy = createTransformerPolicy(CONFIG, { seed: 1 });
  await policy.save(dir, { dtype: 'BF16' });
  policy.dispose();
  process.stdout.write(JSON.stringify({ backend: backend.backend }) + '\n');
}

async function load() {
  const backend = await initBackend({ quiet: true });
  const rssBefore = process.memoryUsage().rss;
  const start = performance.now();
  const policy = await loadTransformerPolicy(dir);
  const loadMs = performance.now() - start;
  const peakRssAfterLoad = process.resourceUsage().maxRSS * 1024;
  const loaded = { backend: backend.backend, rssBefore, loadMs, peakRssAfterLoad };
  // On stdout at once: if decoding later aborts the process (wasm heap exhausted), the parent
  // still records the load figures.
  process.stdout.write(JSON.stringify(loaded) + '\n');
  let sampled;
  try {
    sampled = await sampleAndSave(policy);
  } catch (error) {
    sampled = { error: String(error?.message ?? error).slice(0, 300) };
  }
  process.stdout.write(JSON.stringify({ ...loaded, peakRssTotal: process.resourceUsage().maxRSS * 1024, ...sampled }) + '\n');
  if (!sampled.error) policy.dispose();
}

async function sampleAndSave(policy) {
  const sampleStart = performance.now();
  const session = await policy.startDecoding([[9707, 11, 1879, 0]]);
  let logits = await session.prefill();
  const tokens = [];
  for (let i = 0; i < 16; i++) {
    const row = logits[0];
    let best = 0;
    for (let v = 1; v < row.length; v++) if (row[v] > row[best]) best = v;
    tokens.push(best);
    if (i < 15) logits = await session.step([best]);
  }
  session.dispose();
  const sampleMs = performance.now() - sampleStart;
  const saveStart = performance.now();
  await policy.save(out, { dtype: 'BF16' });
  const saveMs = performance.now() - saveStart;
  return { sampleMs, tokens, saveMs };
}

async function sameBytes(a, b) {
  const [fa, fb] = [await open(a, 'r'), await open(b, 'r')];
  try {
    const size = (await fa.stat()).size;
    if (size !== (await fb.stat()).size) return false;
    const [ba, bb] = [Buffer.alloc(64 << 20), Buffer.alloc(64 << 20)];
    for (let position = 0; position < size; position += ba.length) {
      const n = Math.min(ba.length, size - position);
      await fa.read(ba, 0, n, position);
      await fb.read(bb, 0, n, position);
      if (ba.compare(bb, 0, n, 0, n) !== 0) return false;
    }
    return true;
  } finally {
    await fa.close();
    await fb.close();
  }
}

async function main() {
  const root = await mkdtemp(join(tmpdir(), 'tensor-model-0.5b-'));
  const self = fileURLToPath(import.meta.url);
  const run = (...args) => {
    let stdout;
    let failure = null;
    try {
      stdout = execFileSync(process.execPath, ['--max-old-space-size=16384', self, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    } catch (error) {
      // A child that died (e.g. wasm "memory access out of bounds" after XNNPACK ran out of heap)
      // still printed its load figures; keep them and say how it ended.
      stdout = String(error.stdout ?? '');
      failure = `child exited with status ${error.status ?? error.signal}`;
    }
    const lines = stdout.trim().split('\n').filter((line) => line.startsWith('{'));
    if (lines.length === 0) throw new Error(`checkpoint bench '${args[0]}' printed no result (${failure ?? 'no output'})`);
    const last = JSON.parse(lines[lines.length - 1]);
    return failure && !last.error ? { ...last, error: `${failure} while decoding or saving (see its stderr above)` } : last;
  };
  try {
    const source = join(root, 'source');
    const back = join(root, 'back');
    const writeStart = performance.now();
    run('write', source);
    const writeMs = performance.now() - writeStart;
    const fileBytes = (await stat(join(source, WEIGHTS_FILE))).size;
    const loadAverageBefore = loadavg();
    const measured = run('load', source, back);
    const identical = measured.error ? null : await sameBytes(join(source, WEIGHTS_FILE), join(back, WEIGHTS_FILE));
    const parameters = (fileBytes - 0) / 2; // BF16: ~2 bytes per parameter (header negligible)
    const weightsInMemory = Math.round(parameters) * 4; // float32 in the backend
    const result = {
      config: CONFIG,
      backend: measured.backend,
      fileBytes,
      weightsInMemoryBytes: weightsInMemory,
      writeMs: Math.round(writeMs),
      loadMs: Math.round(measured.loadMs),
      rssBeforeLoadBytes: measured.rssBefore,
      peakRssLoadBytes: measured.peakRssAfterLoad,
      peakRssOverWeights: +(measured.peakRssAfterLoad / weightsInMemory).toFixed(2),
      peakRssOverFile: +(measured.peakRssAfterLoad / fileBytes).toFixed(2),
      peakRssWholeRunBytes: measured.peakRssTotal,
      ...(measured.error ? { sampleOrSaveError: measured.error } : {}),
      sample16Ms: measured.sampleMs === undefined ? null : Math.round(measured.sampleMs),
      sampledTokens: measured.tokens,
      saveMs: measured.saveMs === undefined ? null : Math.round(measured.saveMs),
      savedBackByteIdentical: identical,
      loadAverage: { before: loadAverageBefore, after: loadavg() },
    };
    const file = writeBenchResult('tensor-model', `checkpoint-0.5b-${measured.backend}`, result);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\nwritten ${file}\n`);
    if (identical !== true) process.exitCode = 1;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (mode === 'write') await write();
else if (mode === 'load') await load();
else await main();
