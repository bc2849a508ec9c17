// Issue 14's fault test: RL over two real `oreal serve` processes with weight sync (sync
// schedule); one server is SIGKILLed while a step's requests are in flight. Every (problem,
// sample) must still be delivered exactly once (by the surviving server), every rollout must carry
// the version the trainer had published for that step, and the run must finish.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { Problem, RolloutGroup, SampleOptions, Sampler } from '@oreal-ts/core';
import { parseConfig } from '@oreal-ts/core';
import { OrealConfigSchema } from '../src/config/schema';
import { createComponentsFromConfig } from '../src/compose/create-components';
import { createTrainerFromComponents } from '../src/compose/create-trainer-from-components';
import { auditDelivery } from '../src/fleet/delivery-audit';
import { startLocalFleet } from '../src/fleet/local-fleet';
import { CLI_BUNDLE } from './support/paths';
import { tinyConfig } from './support/tiny-config';
import { temporaryDirs } from './support/temporary-dirs';

const tempDir = temporaryDirs();

/** One `sample` call as the test saw it. */
interface SampleCall {
  readonly problems: readonly Problem[];
  readonly n: number;
  readonly groups: readonly RolloutGroup[];
  /** The fleet's current version when the call started (what every rollout must report under sync). */
  readonly expectedVersion: number | undefined;
}

describe('RL over a fleet of two oreal serve processes', () => {
  it('delivers every rollout exactly once, from the published version, when a server is killed mid-step', async () => {
    const dir = await tempDir('oreal-fleet-faults-');
    const checkpoint = inject('sftCheckpoint');
    const fleetProcesses = await startLocalFleet({
      count: 2,
      checkpoint,
      modelName: 'tiny',
      cliEntry: CLI_BUNDLE,
      logDir: join(dir, 'servers'),
    });
    try {
      const base = tinyConfig({ runsDir: join(dir, 'runs'), checkpoint });
      const config = parseConfig(
        OrealConfigSchema,
        {
          ...base,
          sampler: {
            type: 'openai',
            baseUrls: fleetProcesses.servers.map((s) => `${s.url}/v1`),
            model: 'tiny',
            tokenIds: true,
            concurrencyPerUrl: 2,
            maxRetries: 4,
            timeoutMs: 30_000,
          },
          fleet: { weightSync: 'oreal', probeIntervalMs: 200 },
          trainer: { ...base.trainer, steps: 4, evalEvery: 0, weightSync: { schedule: 'sync', every: 1 } },
        },
        'config',
      );
      const built = await createComponentsFromConfig(config);
      const fleet = built.fleet?.fleet;
      expect(fleet).toBeDefined();
      const calls: SampleCall[] = [];
      let killed = false;
      const sampler: Sampler = {
        specificationVersion: 'v1',
        id: 'test/killing-sampler',
        async sample(problems: readonly Problem[], options: SampleOptions) {
          const expectedVersion = fleet?.currentVersion;
          const pending = built.sampler.sample(problems, options);
          if (!killed && calls.length === 2) {
            // The second training step (after the first evaluation and step 1): kill server 0 once its requests are in flight.
            killed = true;
            await new Promise((resolve) => setTimeout(resolve, 30));
            fleetProcesses.servers[0]?.process.kill('SIGKILL');
          }
          const groups = await pending;
          calls.push({ problems, n: options.n, groups, expectedVersion });
          return groups;
        },
      };
      const runDir = join(dir, 'run');
      const trainer = createTrainerFromComponents({ ...built, sampler }, config, runDir);
      try {
        const result = await trainer.run();
        expect(result.steps).toBe(4);
      } finally {
        await built.dispose();
      }
      expect(killed).toBe(true);
      expect(calls.length).toBe(5); // the held-out evaluation before step 1, then four training steps
      for (const call of calls) {
        const counts = auditDelivery(call.problems, call.n, call.groups);
        expect(counts).toMatchObject({ duplicated: 0, lost: 0, rollouts: call.problems.length * call.n });
        expect(call.expectedVersion).toBeTypeOf('number');
        // Sync schedule: every rollout comes from the version published before the step.
        expect(Object.keys(counts.versions)).toEqual([String(call.expectedVersion)]);
      }
      const steps = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8'))
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.type === 'step');
      expect(steps.map((s) => s.stalenessMax)).toEqual([0, 0, 0, 0]);
      // Every version a step sampled from was published (and recorded) before that step.
      const published = (await readFile(join(runDir, 'weights.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { version: number }).version);
      for (const call of calls) expect(published).toContain(call.expectedVersion);
    } finally {
      await fleetProcesses.stop(2_000);
    }
  }, 240_000);
});
