// The whole RL loop (`oreal train`: sampling, grading, selection, token RM, OREAL loss, updates,
// evaluation, checkpoints) through the Tinker client against the local Tinker server over HTTP on
// 127.0.0.1, compared with the same run in process: every metric equal, except the entropy of the
// sampled tokens (the sampler's log-probs agree only to float32 rounding: the server decodes each
// problem's K rows as one batch).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { initBackend } from '@oreal-ts/tensor-model';
import { startTinkerServer, type RunningTinkerServer } from '../src/serve-tinker/index';
import { runCli } from './support/run-cli';
import { writeTinyConfig } from './support/tiny-config';
import { temporaryDirs } from './support/temporary-dirs';

const tempDir = temporaryDirs();
let server: RunningTinkerServer;

beforeAll(async () => {
  await initBackend({ quiet: true });
  server = await startTinkerServer({ checkpoint: inject('sftCheckpoint'), baseModel: 'tiny-sft', port: 0 });
});
afterAll(async () => {
  await server.close();
});

async function metrics(runDir: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(runDir, 'metrics.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const { timing: _timing, entropy, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return { ...rest, entropyKnown: entropy !== undefined && entropy !== null };
    });
}

describe('oreal train with engine.type tinker against the local Tinker server', () => {
  it('runs the whole loop over HTTP and records the same metrics as the in-process run', async () => {
    const dir = await tempDir('oreal-tinker-train-');
    const runsDir = join(dir, 'runs');
    const config = await writeTinyConfig(dir, 'tiny.yaml', { runsDir, checkpoint: inject('sftCheckpoint') });
    const local = await runCli(['train', '-c', config, '--set', 'logging.runName=local']);
    expect(local.code, local.stderr).toBe(0);
    const remote = await runCli([
      'train',
      '-c',
      config,
      '--set',
      'logging.runName=remote',
      '--set',
      'engine.type=tinker',
      '--set',
      `engine.baseUrl=${server.url}`,
      '--set',
      'engine.baseModel=tiny-sft',
    ]);
    expect(remote.code, remote.stderr).toBe(0);
    expect(remote.stdout).toMatch(/finished after 6 steps/);
    const expected = await metrics(join(runsDir, 'local'));
    expect(expected.some((line) => line.type === 'step' && line.loss !== null)).toBe(true);
    expect(await metrics(join(runsDir, 'remote'))).toEqual(expected);
    const saved = JSON.parse(
      await readFile(
        join(runsDir, 'remote', 'checkpoints', 'step-000006', 'policy', 'tinker-state.json'),
        'utf8',
      ),
    ) as { path: string; step: number };
    expect(saved.path).toMatch(/^tinker:\/\//);
    // One optimiser step per step that updated the policy (frozen and all-filtered steps take none).
    expect(saved.step).toBe(expected.filter((line) => line.type === 'step' && line.loss !== null).length);
  });
});
