import { parseConfig } from '@oreal-ts/core';
import { applyOverrides, mergeConfig, type ConfigTree } from './overrides';
import { readConfigFile } from './read-config-file';
import { DEFAULT_SEED, OrealConfigSchema, type OrealConfig } from './schema';

/** Where a configuration comes from, lowest priority first. */
export interface ConfigSources {
  /** Built-in base (e.g. the demo's settings). */
  readonly base?: ConfigTree;
  /** A YAML or JSON file. */
  readonly file?: string;
  /** `--set a.b=value` flags, applied last. */
  readonly overrides?: readonly string[];
}

/**
 * Build the configuration: base ← file ← `--set` overrides, then validate once with zod. A bad
 * field throws `ConfigError` naming the dotted field, the bad value and the fix.
 */
export async function loadConfig(sources: ConfigSources = {}): Promise<OrealConfig> {
  let tree: ConfigTree = sources.base ?? {};
  if (sources.file) tree = mergeConfig(tree, await readConfigFile(sources.file));
  tree = applyOverrides(tree, sources.overrides ?? []);
  return parseConfig(OrealConfigSchema, withTrainerSeed(tree));
}

/** The trainer's seed follows the top-level `seed` unless `trainer.seed` is set explicitly. */
function withTrainerSeed(tree: ConfigTree): ConfigTree {
  const trainer = tree['trainer'];
  const seed = tree['seed'] ?? DEFAULT_SEED;
  if (trainer === undefined || trainer === null) return { ...tree, trainer: { seed } };
  if (typeof trainer !== 'object' || Array.isArray(trainer) || (trainer as ConfigTree)['seed'] !== undefined)
    return tree;
  return { ...tree, trainer: { ...(trainer as ConfigTree), seed } };
}
