/**
 * In-process guards on the composed training loop with the real transformer: a non-finite loss
 * stops the run and leaves the last good checkpoint loadable; tensor count stays constant.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, inject, it } from 'vitest';
import { TrainingDivergedError, type Objective } from '@oreal-ts/core';
import { loadTransformerPolicy } from '@oreal-ts/tensor-model';
import { resolveLatestCheckpoint } from '@oreal-ts/trainer';
import { loadConfig } from '../src/config/load-config';
import {
  createComponentsFromConfig,
  createObjectiveFromConfig,
  type Components,
} from '../src/compose/create-components';
import { createTrainerFromComponents } from '../src/compose/create-trainer-from-components';
import { tinyConfig } from './support/tiny-config';
import { temporaryDirs } from './support/temporary-dirs';

const tempDir = temporaryDirs();

async function tinyComponents(
  runsDir: string,
  overrides: Record<string, unknown> = {},
  objective?: Objective,
): Promise<{ components: Components; config: Awaited<ReturnType<typeof loadConfig>> }> {
  const base = tinyConfig({ runsDir, checkpoint: inject('sftCheckpoint') });
  const config = await loadConfig({ base: { ...base, ...overrides } });
  const components = await createComponentsFromConfig(config, objective ? { objective } : {});
  return { components, config };
}

function trainerFor(components: Components, config: Awaited<ReturnType<typeof loadConfig>>, runDir: string) {
  return createTrainerFromComponents(components, config, runDir);
}

describe('composed training loop guards', () => {
  it('a NaN loss stops the run with TrainingDivergedError; the last good checkpoint still loads', async () => {
    const dir = await tempDir('oreal-nan-');
    // A research-fork style objective: the stock OREAL objective whose loss turns NaN from step 3 on.
    const config0 = await loadConfig({ base: tinyConfig({ runsDir: dir }) });
    const stock = createObjectiveFromConfig(config0);
    let steps = 0;
    const poisoned: Objective = {
      ...stock,
      id: 'test/nan-from-step-3',
      select(groups, rng) {
        steps++;
        return stock.select(groups, rng);
      },
      compute(rows) {
        const result = stock.compute(rows);
        return steps >= 3 ? { ...result, loss: Number.NaN } : result;
      },
    };
    const { components, config } = await tinyComponents(
      dir,
      { trainer: { ...tinyConfig({ runsDir: dir }).trainer, actorFreezeSteps: 0, evalEvery: 0 } },
      poisoned,
    );
    const trainer = trainerFor(components, config, join(dir, 'run'));
    try {
      const error = await trainer.run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(TrainingDivergedError.is(error), String(error)).toBe(true);
      expect((error as Error).message).toMatch(/NaN/);
      expect(trainer.state.diverged).toBe(true);
      const latest = await resolveLatestCheckpoint(trainer.checkpointRoot);
      expect(latest).toMatch(/step-000002$/);
      const reloaded = await loadTransformerPolicy(join(latest, 'policy'), {});
      const ids = components.tokenizer.encode('1+2=');
      const [logProbs] = await reloaded.logProbs({
        promptIds: [ids],
        responseIds: [components.tokenizer.encode('1+2=3')],
      });
      expect(logProbs?.every(Number.isFinite)).toBe(true);
      reloaded.dispose();
    } finally {
      await components.dispose();
    }
  });

  it('tf.memory().numTensors is constant across 30 RL steps of the real model (token RM and reference included)', async () => {
    const dir = await tempDir('oreal-memory-');
    const { components, config } = await tinyComponents(dir, {
      trainer: {
        ...tinyConfig({ runsDir: dir }).trainer,
        steps: 40,
        actorFreezeSteps: 1,
        evalEvery: 0,
        checkpoint: { every: 0 },
        trajectoryDumpEvery: 0,
      },
    });
    const trainer = trainerFor(components, config, join(dir, 'run'));
    try {
      // Warm-up: the first reward-model step and the first policy update create the AdamW
      // moment tensors of each model (lazily); memory is measured after both exist.
      let warmUp = 0;
      while ((await trainer.step()).loss === null) expect(++warmUp).toBeLessThan(8);
      const afterUpdate = new Set<number>([tf.memory().numTensors]);
      const afterSkip = new Set<number>();
      let updates = 0;
      for (let i = 0; i < 30; i++) {
        const metrics = await trainer.step();
        if (metrics.loss !== null) updates++;
        (metrics.loss === null ? afterSkip : afterUpdate).add(tf.memory().numTensors);
      }
      expect(updates).toBeGreaterThan(5);
      // The model may keep a lazily rebuilt decoding copy of its weights that exists after a step
      // without an update and not yet after one with an update; per kind of step the count is constant.
      expect(afterUpdate.size, `after updates: ${[...afterUpdate].join(', ')}`).toBe(1);
      expect(afterSkip.size, `after skipped updates: ${[...afterSkip].join(', ')}`).toBeLessThanOrEqual(1);
    } finally {
      await components.dispose();
    }
  });
});
