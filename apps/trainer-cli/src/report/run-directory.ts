import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** A UTC timestamp usable in file names, e.g. `20261126-114501`. */
export function timestampForFileName(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** Create (if needed) and return the absolute run directory `<runsDir>/<runName ?? command-timestamp>`. */
export async function createRunDirectory(
  runsDir: string,
  command: string,
  runName?: string,
): Promise<string> {
  const dir = resolve(join(runsDir, runName ?? `${command}-${timestampForFileName()}`));
  await mkdir(dir, { recursive: true });
  return dir;
}
