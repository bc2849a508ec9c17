import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@oreal-ts/core';
import { createTaskTokenizer } from '../src/compose/create-components';
import { loadProblems } from '../src/compose/load-problems';
import { loadConfig } from '../src/config/load-config';
import { DEMO_CONFIG } from '../src/pipeline/demo-config';
import { supervisedExamples } from '../src/pipeline/warm-start';

const file = fileURLToPath(new URL('../configs/ablation-multiplication.yaml', import.meta.url));

describe('configs/ablation-multiplication.yaml (the harder built-in task)', () => {
  it('parses through the real config schema over the demo defaults, with the step-slip teacher on', async () => {
    const config = await loadConfig({ base: DEMO_CONFIG, file });
    expect(config.data.families).toEqual(['multiplication']);
    expect(config.sft.teacherStepSlipRate).toBeGreaterThan(0);
    expect(config.sft.teacherCarryDropRate).toBe(0);
    // What it does not set stays the demo's (model width, B × K, token reward model).
    expect(config.model.architecture.hidden_size).toBe(128);
    expect(config.trainer.rolloutsPerProblem).toBe(8);
    expect(config.tokenRewardModel.enabled).toBe(true);
  });

  it('its problems exist, and every SFT example and response fits the context and the token budget', async () => {
    const config = await loadConfig({ base: DEMO_CONFIG, file });
    const problems = await loadProblems(config);
    expect(problems.train).toHaveLength(config.data.trainCount);
    expect(problems.test).toHaveLength(config.data.evalCount);
    const tokenizer = createTaskTokenizer();
    const examples = supervisedExamples([...problems.train, ...problems.test], config, tokenizer);
    const slipped = examples.filter(
      (example, i) => example.response !== problems.train.concat(problems.test)[i]?.solution,
    );
    expect(slipped.length / examples.length).toBeGreaterThan(config.sft.teacherStepSlipRate - 0.05);
    for (const example of examples) {
      const prompt = tokenizer.encode(example.prompt).length;
      const response = tokenizer.encode(example.response).length + 1; // + <eos>
      expect(response).toBeLessThanOrEqual(config.trainer.sampling.maxNewTokens);
      expect(prompt + config.trainer.sampling.maxNewTokens).toBeLessThanOrEqual(
        config.model.architecture.max_position_embeddings,
      );
    }
  });

  it('a bad sft.teacherStepSlipRate is named with the fix', async () => {
    for (const [value, message] of [
      ['1.5', /must be ≤ 1/],
      ['-0.1', /must be ≥ 0/],
      ['often', /must be a number in \[0, 1\]/],
    ] as const) {
      const error = await loadConfig({ overrides: [`sft.teacherStepSlipRate=${value}`] }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).path).toBe('sft.teacherStepSlipRate');
      expect((error as ConfigError).message).toMatch(message);
    }
  });
});
