import { ConfigError, InvalidArgumentError } from '@oreal-ts/core';
import type { Objective } from '@oreal-ts/core';
import {
  createDrGrpoObjective,
  createGrpoObjective,
  createReinforceObjective,
  createRftObjective,
  createRlooObjective,
  type RftObjectiveOptions,
} from './baseline-objectives';
import { createOrealObjective } from './oreal-objective';

/** Builds an objective from (unvalidated) options; validates them and throws `ConfigError`. */
export type ObjectiveFactory = (options?: Record<string, unknown>) => Objective;

/** Name → objective factory. */
export interface ObjectiveRegistry {
  /** Add a factory; throws `InvalidArgumentError` when the name is taken. Returns the registry. */
  register(name: string, factory: ObjectiveFactory): ObjectiveRegistry;
  /** Whether a factory is registered under `name`. */
  has(name: string): boolean;
  /** Registered names, in registration order. */
  names(): string[];
  /** Build the named objective; throws `ConfigError` (path `objective.name`) for an unknown name. */
  create(name: string, options?: Record<string, unknown>): Objective;
}

/** The built-in objectives by name. */
export const BUILT_IN_OBJECTIVES: Readonly<Record<string, ObjectiveFactory>> = Object.freeze({
  oreal: (options) => createOrealObjective(options),
  reinforce: (options) => createReinforceObjective(options),
  rloo: (options) => createRlooObjective(options),
  grpo: (options) => createGrpoObjective(options),
  'dr-grpo': (options) => createDrGrpoObjective(options),
  // Options are validated by the factory (strict schema: unknown keys throw ConfigError).
  rft: (options) => createRftObjective(options as RftObjectiveOptions),
});

/**
 * A registry pre-filled with the built-ins (`oreal`, `reinforce`, `rloo`, `grpo`, `dr-grpo`,
 * `rft`). Research forks `register` their own objective under a new name.
 */
export function createObjectiveRegistry(): ObjectiveRegistry {
  const factories = new Map<string, ObjectiveFactory>();
  const registry: ObjectiveRegistry = {
    register(name, factory) {
      if (!name) throw new InvalidArgumentError('name', 'must be a non-empty string');
      if (factories.has(name)) {
        throw new InvalidArgumentError(
          'name',
          `an objective named '${name}' is already registered; register yours under another name (taken: ${[...factories.keys()].join(', ')})`,
        );
      }
      factories.set(name, factory);
      return registry;
    },
    has: (name) => factories.has(name),
    names: () => [...factories.keys()],
    create(name, options) {
      const factory = factories.get(name);
      if (!factory) {
        throw new ConfigError('objective.name', `unknown objective '${name}'; known objectives: ${[...factories.keys()].join(', ')}`);
      }
      return factory(options);
    },
  };
  for (const [name, factory] of Object.entries(BUILT_IN_OBJECTIVES)) registry.register(name, factory);
  return registry;
}
