import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * A config small enough for tests on 2 cores: a 2-layer, 32-wide model, one-digit additions,
 * B = 4 problems × K = 4 rollouts, checkpoints every step, progress and plots off.
 */
export function tinyConfig(overrides: { runsDir: string; checkpoint?: string }) {
  return {
    seed: 3,
    model: {
      ...(overrides.checkpoint ? { checkpoint: overrides.checkpoint } : {}),
      architecture: {
        hidden_size: 32,
        intermediate_size: 64,
        num_hidden_layers: 2,
        num_attention_heads: 2,
        num_key_value_heads: 2,
        max_position_embeddings: 48,
      },
      optimizer: { learningRate: 1e-3 },
    },
    data: {
      families: ['addition'],
      difficulty: { minDigits: 1, maxDigits: 1 },
      trainCount: 60,
      evalCount: 8,
    },
    sft: { steps: 60, batchSize: 16, optimizer: { learningRate: 1e-2, warmupSteps: 5 } },
    sampler: { type: 'local', batchSize: 32 },
    tokenRewardModel: { enabled: true, optimizer: { learningRate: 1e-3 } },
    trainer: {
      steps: 6,
      batchProblems: 4,
      rolloutsPerProblem: 4,
      actorFreezeSteps: 1,
      sampling: { maxNewTokens: 20 },
      evalEvery: 3,
      evalSampled: false,
      checkpoint: { every: 1, keepLast: 3 },
      trajectoryDumpEvery: 3,
    },
    logging: { runsDir: overrides.runsDir, progress: 'off', plot: false },
  };
}

/** Write `tinyConfig(...)` as YAML into `dir/name` and return the file path. */
export async function writeTinyConfig(
  dir: string,
  name: string,
  overrides: { runsDir: string; checkpoint?: string },
): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, stringify(tinyConfig(overrides)));
  return file;
}
