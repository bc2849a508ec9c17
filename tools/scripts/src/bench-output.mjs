// Helper for benchmark files: write one JSON result under <repo>/bench-results/<package>/<name>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Write `result` (plus machine facts and a timestamp) to bench-results/<pkg>/<name>.json; returns the path. */
export function writeBenchResult(pkg, name, result) {
  const file = join(repoRoot, 'bench-results', pkg, `${name}.json`);
  mkdirSync(dirname(file), { recursive: true });
  const record = {
    package: pkg,
    benchmark: name,
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    ...result,
  };
  writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
  return file;
}
