import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { collect, runCli, spawnCli, waitForStderr } from './support/run-cli';
import { writeTinyConfig } from './support/tiny-config';
import { temporaryDirs } from './support/temporary-dirs';

const tempDir = temporaryDirs();

async function metricsWithoutTiming(runDir: string): Promise<unknown[]> {
  const text = await readFile(join(runDir, 'metrics.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const { timing: _timing, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return rest;
    });
}

async function policyFiles(checkpointDir: string): Promise<Map<string, Buffer>> {
  const dir = join(checkpointDir, 'policy');
  const files = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).sort()) files.set(name, await readFile(join(dir, name)));
  return files;
}

describe('oreal train: exact resume through the real CLI', () => {
  it('6 steps straight equal 3 steps, SIGKILL, --resume for 3 more (metrics and final weights)', async () => {
    const dir = await tempDir('oreal-resume-');
    const runsDir = join(dir, 'runs');
    const config = await writeTinyConfig(dir, 'tiny.yaml', { runsDir, checkpoint: inject('sftCheckpoint') });

    const straight = await runCli(['train', '-c', config, '--set', 'logging.runName=straight']);
    expect(straight.code, straight.stderr).toBe(0);
    expect(straight.stdout).toMatch(/finished after 6 steps/);
    expect(straight.stderr).toMatch(/tfjs backend: \w+/);

    const child = spawnCli([
      'train',
      '-c',
      config,
      '--set',
      'logging.runName=killed',
      '--halt-after-step',
      '3',
    ]);
    const done = collect(child);
    await waitForStderr(child, /halted after step 3/);
    child.kill('SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');
    expect(
      (await metricsWithoutTiming(join(runsDir, 'killed'))).filter(
        (m) => (m as { type: string }).type === 'step',
      ),
    ).toHaveLength(3);

    const resumed = await runCli(['train', '--resume', join(runsDir, 'killed')]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resumed at step 3/);
    expect(resumed.stdout).toMatch(/finished after 6 steps/);

    const expected = await metricsWithoutTiming(join(runsDir, 'straight'));
    expect(expected.filter((m) => (m as { type: string }).type === 'step')).toHaveLength(6);
    // The run really trained: some steps updated the policy.
    expect(expected.some((m) => (m as { loss: number | null }).loss !== null)).toBe(true);
    expect(await metricsWithoutTiming(join(runsDir, 'killed'))).toEqual(expected);

    const finalStraight = await policyFiles(join(runsDir, 'straight', 'checkpoints', 'step-000006'));
    const finalResumed = await policyFiles(join(runsDir, 'killed', 'checkpoints', 'step-000006'));
    expect([...finalResumed.keys()]).toEqual([...finalStraight.keys()]);
    for (const [name, bytes] of finalStraight) expect(finalResumed.get(name)?.equals(bytes), name).toBe(true);
  });
});

describe('oreal train: failures name what and where', () => {
  it('a bad config field names the field, the value and the fix (exit 2)', async () => {
    const dir = await tempDir('oreal-bad-config-');
    const config = await writeTinyConfig(dir, 'tiny.yaml', { runsDir: join(dir, 'runs') });
    const result = await runCli(['train', '-c', config, '--set', 'trainer.rolloutsPerProblem=1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ConfigError: trainer\.rolloutsPerProblem: .*must be ≥ 2.*\(got 1\)/);
  });

  it('a bad data line names file:line and the field (exit 2)', async () => {
    const dir = await tempDir('oreal-bad-data-');
    const config = await writeTinyConfig(dir, 'tiny.yaml', { runsDir: join(dir, 'runs') });
    const data = join(dir, 'train.jsonl');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      data,
      [
        JSON.stringify({ id: 'a', question: '1+1=', answer: '2' }),
        JSON.stringify({ id: 'b', question: '1+2=', answer: '3' }),
        JSON.stringify({ id: 'c', question: '2+2=' }),
      ].join('\n') + '\n',
    );
    const result = await runCli(['train', '-c', config, '--set', `data.trainFile=${data}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`DataFormatError: ${data}:3: field 'answer'`);
  });

  it('a corrupt latest checkpoint is refused with CheckpointError and the previous one resumes', async () => {
    const dir = await tempDir('oreal-corrupt-');
    const runsDir = join(dir, 'runs');
    const config = await writeTinyConfig(dir, 'tiny.yaml', { runsDir, checkpoint: inject('sftCheckpoint') });
    const first = await runCli([
      'train',
      '-c',
      config,
      '--set',
      'logging.runName=run',
      '--set',
      'trainer.steps=3',
      '--set',
      'trainer.evalEvery=0',
    ]);
    expect(first.code, first.stderr).toBe(0);
    const run = join(runsDir, 'run');
    const latest = join(run, 'checkpoints', 'step-000003', 'policy');
    const { writeFile } = await import('node:fs/promises');
    for (const name of await readdir(latest))
      if (name.endsWith('.safetensors')) await writeFile(join(latest, name), 'not a safetensors file');

    const refused = await runCli(['train', '--resume', run, '--set', 'trainer.steps=4']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/CheckpointError: checkpoint .*step-000003/);

    const previous = await runCli([
      'train',
      '--resume',
      run,
      '--from-checkpoint',
      join(run, 'checkpoints', 'step-000002'),
      '--set',
      'trainer.steps=4',
    ]);
    expect(previous.code, previous.stderr).toBe(0);
    expect(previous.stderr).toMatch(/resumed at step 2/);
    expect(previous.stdout).toMatch(/finished after 4 steps/);
  });
});
