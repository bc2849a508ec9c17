/**
 * Runs once before the tests:
 * 1. builds the `oreal` CLI for the tests that spawn it as a child process: one ESM bundle of
 *    src/cli.ts with the sibling @oreal-ts packages read from their sources (the `source` export
 *    condition), so the tests need neither a prior build of every package nor a TypeScript loader;
 *    third-party packages stay external and load from node_modules, as in the published bin;
 * 2. runs `oreal sft` with the tiny test config and provides the checkpoint (`inject('sftCheckpoint')`)
 *    so RL tests start from a policy that solves some problems (mixed groups, real updates).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildCliBundle } from './build-cli-bundle';
import { CLI_BUNDLE, FIXTURES_DIR } from './paths';
import { writeTinyConfig } from './tiny-config';

declare module 'vitest' {
  export interface ProvidedContext {
    sftCheckpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  await buildCliBundle();
  await rm(FIXTURES_DIR, { recursive: true, force: true });
  await mkdir(FIXTURES_DIR, { recursive: true });
  const runsDir = join(FIXTURES_DIR, 'runs');
  const config = await writeTinyConfig(FIXTURES_DIR, 'tiny.yaml', { runsDir });
  const sft = spawnSync(
    process.execPath,
    [CLI_BUNDLE, 'sft', '-c', config, '--set', 'logging.runName=fixture'],
    { encoding: 'utf8' },
  );
  if (sft.status !== 0) throw new Error(`oreal sft (test fixture) failed with ${sft.status}:\n${sft.stderr}`);
  project.provide('sftCheckpoint', join(runsDir, 'fixture', 'sft'));
}
