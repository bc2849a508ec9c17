import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseRecord } from '@oreal-ts/core';
import { writeJsonAtomic } from '@oreal-ts/core/node';
import type { CommandOutput } from '../commands/output';
import type { OrealConfig } from '../config/schema';
import { SeedResultSchema, type SeedResult } from '../report/ablation-stats';

/** One seed to run in a child process: its config (seeded) and its folder. */
export interface SeedJob {
  readonly seed: number;
  readonly config: OrealConfig;
  readonly runDir: string;
}

/** How a seed's child process ended: its result, or why there is none. */
export type SeedOutcome =
  | { readonly seed: number; readonly result: SeedResult }
  | { readonly seed: number; readonly error: string };

/**
 * Run one-seed `oreal ablate` processes, at most `jobs` at a time: seed job → `node <cliEntry>
 * ablate -c <runDir>/config.input.json --variants …` with the job's config (its `logging.runsDir`
 * and `runName` pointing at `runDir`), which writes a complete one-seed ablation there; the
 * result is read back from `<runDir>/ablation.json` (`seedResult`, validated). Child stderr is
 * relayed line by line prefixed `[seed s]`. `signal` forwards SIGINT to the running children (they
 * stop after their current step and still write their results) and starts no new ones; children
 * run in their own process group and are killed if still alive when this process exits.
 */
export async function runSeedProcesses(options: {
  readonly jobs: readonly SeedJob[];
  readonly parallel: number;
  readonly cliEntry: string;
  readonly variants: readonly string[];
  readonly target: number | null;
  readonly output: CommandOutput;
  readonly signal: AbortSignal;
}): Promise<SeedOutcome[]> {
  const running = new Set<ChildProcess>();
  const killAll = () => running.forEach((child) => child.kill('SIGKILL'));
  const forward = () => running.forEach((child) => child.kill('SIGINT'));
  process.on('exit', killAll);
  options.signal.addEventListener('abort', forward);
  const outcomes: SeedOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < options.jobs.length && !options.signal.aborted) {
      const job = options.jobs[next++] as SeedJob;
      outcomes.push(await runOne(job));
    }
  };
  const runOne = async (job: SeedJob): Promise<SeedOutcome> => {
    const input = join(job.runDir, 'config.input.json');
    const parent = join(job.runDir, '..');
    const name = job.runDir.slice(parent.length + 1);
    await writeJsonAtomic(input, {
      ...job.config,
      logging: { ...job.config.logging, runsDir: parent, runName: name },
    });
    const args = [
      ...process.execArgv,
      options.cliEntry,
      'ablate',
      '-c',
      input,
      '--variants',
      options.variants.join(','),
      ...(options.target === null ? [] : ['--target', String(options.target)]),
    ];
    // Own process group: a Ctrl-C on the terminal reaches only this process, which forwards ONE
    // SIGINT (a second one would make the child exit without writing its results).
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    running.add(child);
    const tail: string[] = [];
    let pending = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        options.output.err(`[seed ${job.seed}] ${line}`);
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
    });
    const code = await new Promise<number | null>((resolve) => {
      child.once('error', (error) => {
        tail.push(String(error));
        resolve(null);
      });
      child.once('close', (exitCode) => resolve(exitCode));
    });
    running.delete(child);
    if (pending) options.output.err(`[seed ${job.seed}] ${pending}`);
    if (code !== 0) {
      return { seed: job.seed, error: `exited with ${code ?? 'a signal'}:\n${tail.join('\n')}` };
    }
    return readSeedOutcome(job);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.parallel, options.jobs.length) }, worker));
  } finally {
    process.off('exit', killAll);
    options.signal.removeEventListener('abort', forward);
  }
  return outcomes.sort((a, b) => a.seed - b.seed);
}

/** A finished seed's result, read back from `<runDir>/ablation.json` (`seedResult`, validated); an unreadable file is the seed's error. */
export async function readSeedOutcome(job: { readonly seed: number; readonly runDir: string }): Promise<SeedOutcome> {
  const file = join(job.runDir, 'ablation.json');
  try {
    const json = JSON.parse(await readFile(file, 'utf8')) as { seedResult?: unknown };
    return { seed: job.seed, result: parseRecord(SeedResultSchema, json.seedResult, file, 1) };
  } catch (error) {
    return { seed: job.seed, error: `could not read ${file}: ${error instanceof Error ? error.message : String(error)}` };
  }
}
