import { ConfigError, InvalidArgumentError } from '@oreal-ts/core';
import { createFakeObjective } from '@oreal-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { createObjectiveRegistry } from './objective-registry';
import { createGrpoObjective, createDrGrpoObjective, createRftObjective } from './baseline-objectives';
import { createOrealObjective } from './oreal-objective';

describe('objective registry', () => {
  it('is pre-filled with the built-ins, each a v1 Objective', () => {
    const registry = createObjectiveRegistry();
    expect(registry.names()).toEqual(['oreal', 'reinforce', 'rloo', 'grpo', 'dr-grpo', 'rft']);
    for (const name of registry.names()) {
      const objective = registry.create(name);
      expect(objective.specificationVersion).toBe('v1');
      expect(objective.id).toBe(`oreal-ts/${name}`);
    }
  });

  it('refuses duplicates with a clear error and accepts new names', () => {
    const registry = createObjectiveRegistry();
    expect(() => registry.register('oreal', () => createFakeObjective())).toThrow(InvalidArgumentError);
    expect(() => registry.register('oreal', () => createFakeObjective())).toThrow(/'oreal' is already registered/);
    registry.register('my-lab/fake', () => createFakeObjective());
    expect(registry.has('my-lab/fake')).toBe(true);
    expect(registry.create('my-lab/fake').id).toBe('oreal-ts/fake-objective');
  });

  it('an unknown name is a ConfigError listing the known names', () => {
    const registry = createObjectiveRegistry();
    expect(() => registry.create('ppo')).toThrow(ConfigError);
    expect(() => registry.create('ppo')).toThrow(/unknown objective 'ppo'.*oreal, reinforce/);
  });
});

describe('objective options', () => {
  it('OREAL defaults are the reference values', () => {
    const objective = createOrealObjective();
    expect(objective.options).toEqual({
      positiveLossFactor: 1,
      negativeLossFactor: 0.5,
      klCoefficient: 0.01,
      multiplyPositiveByAdvantage: true,
      advantageEstimator: 'rloo',
      advantageEpsilon: 1e-8,
      filter: 'one-correct-one-incorrect',
      useTokenWeights: true,
      shapeNegatives: true,
    });
    expect(objective.requires).toEqual({ referenceLogProbs: true, oldLogProbs: false, tokenWeights: true });
    expect(createOrealObjective({ klCoefficient: 0, useTokenWeights: false }).requires).toEqual({
      referenceLogProbs: false,
      oldLogProbs: false,
      tokenWeights: false,
    });
  });

  it('bad values and unknown keys throw ConfigError naming the field', () => {
    const fieldOf = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        expect(ConfigError.is(error)).toBe(true);
        return (error as ConfigError).path;
      }
      throw new Error('expected a ConfigError');
    };
    expect(fieldOf(() => createOrealObjective({ negativeLossFactor: -1 }))).toBe('oreal.negativeLossFactor');
    expect(fieldOf(() => createOrealObjective({ filter: 'best' as never }))).toBe('oreal.filter');
    expect(fieldOf(() => createOrealObjective({ klCoef: 0.1 } as never))).toBe('oreal');
    expect(() => createOrealObjective({ klCoef: 0.1 } as never)).toThrow(/klCoef/);
    expect(fieldOf(() => createGrpoObjective({ clipHigh: Number.NaN }))).toBe('grpo.clipHigh');
    expect(fieldOf(() => createDrGrpoObjective({ constantNormalizer: 0 }))).toBe('dr-grpo.constantNormalizer');
    expect(fieldOf(() => createRftObjective({ anything: 1 } as never))).toBe('rft');
  });

  it('GRPO needs old log-probs; RFT keeps only positives with advantage 1', () => {
    expect(createGrpoObjective().requires.oldLogProbs).toBe(true);
    const rft = createRftObjective();
    const rollout = { problemId: 'p', sampleIndex: 0, prompt: '', text: '', tokenIds: [1], logProbs: [-1], finishReason: 'stop' as const };
    const selected = rft.select(
      [{ problem: { id: 'p', question: '', answer: '' }, rollouts: [{ rollout, reward: 1 }, { rollout, reward: -1 }] }],
      { next: () => 0.5 },
    );
    expect(selected).toHaveLength(1);
    expect(selected[0]?.advantage).toBe(1);
  });
});
