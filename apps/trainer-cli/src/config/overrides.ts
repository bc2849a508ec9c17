import { parse as parseYaml } from 'yaml';
import { ConfigError } from '@oreal-ts/core';

/** A plain JSON-like object tree (what a config file parses to). */
export type ConfigTree = Record<string, unknown>;

/**
 * Parse one `--set` flag, `a.b.c=value`, into its dotted path and value. The value is read as a
 * YAML scalar/flow value, so `3`, `true`, `null`, `[1, 2]` and `{a: 1}` keep their types and
 * anything else stays a string. Throws `ConfigError` naming the flag when there is no `=`.
 */
export function parseOverride(flag: string): { path: string[]; value: unknown } {
  const equals = flag.indexOf('=');
  if (equals <= 0) {
    throw new ConfigError(
      '--set',
      `expected 'section.field=value', got ${JSON.stringify(flag)}; e.g. --set trainer.steps=20`,
    );
  }
  const path = flag.slice(0, equals).trim().split('.');
  if (
    path.some((part) => part === '' || part === '__proto__' || part === 'constructor' || part === 'prototype')
  ) {
    throw new ConfigError(
      '--set',
      `bad field path ${JSON.stringify(flag.slice(0, equals))}; use dotted names like sampler.type`,
    );
  }
  const text = flag.slice(equals + 1);
  let value: unknown;
  try {
    value = text.trim() === '' ? '' : parseYaml(text);
  } catch {
    value = text;
  }
  return { path, value };
}

/**
 * Apply `--set a.b=value` overrides to a config tree (a new tree is returned; the input is not
 * modified). Intermediate objects are created as needed.
 */
export function applyOverrides(tree: ConfigTree, flags: readonly string[]): ConfigTree {
  const out = structuredClone(tree);
  for (const flag of flags) {
    const { path, value } = parseOverride(flag);
    let node: ConfigTree = out;
    for (const [index, key] of path.entries()) {
      if (index === path.length - 1) {
        node[key] = value;
        break;
      }
      const next = node[key];
      if (next === undefined || next === null) {
        const created: ConfigTree = {};
        node[key] = created;
        node = created;
      } else if (typeof next === 'object' && !Array.isArray(next)) {
        node = next as ConfigTree;
      } else {
        throw new ConfigError(
          path.slice(0, index + 1).join('.'),
          `is ${JSON.stringify(next)}, not a section, so '${flag}' cannot set a field inside it`,
        );
      }
    }
  }
  return out;
}

/** Deep-merge `override` into `base` (objects merge, everything else replaces). Returns a new tree. */
export function mergeConfig(base: ConfigTree, override: ConfigTree): ConfigTree {
  const out: ConfigTree = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    if (isPlainObject(current) && isPlainObject(value)) out[key] = mergeConfig(current, value);
    else out[key] = structuredClone(value);
  }
  return out;
}

function isPlainObject(value: unknown): value is ConfigTree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
