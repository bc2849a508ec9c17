import type { SampleOptions } from '@oreal-ts/core';
import { createFakeSampler, createFakeVerifier } from '@oreal-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { evaluatePassAt1 } from './evaluate';

const problems = [
  { id: 'a', question: '1+1=', answer: '2' },
  { id: 'b', question: '2+2=', answer: '4' },
];

describe('evaluatePassAt1', () => {
  it('measures greedy pass@1 at temperature 0 and sampled pass@1 over several samples', async () => {
    // greedy (temperature 0) answers problem a right only; samples alternate right/wrong
    let temperature = 0;
    const sampler = createFakeSampler((problem, sampleIndex) => {
      if (temperature === 0) return problem.id === 'a' ? '\\boxed{2}' : '\\boxed{5}';
      return sampleIndex % 2 === 0 ? `\\boxed{${problem.answer}}` : '\\boxed{0}';
    });
    const wrapped = {
      ...sampler,
      sample: (ps: Parameters<typeof sampler.sample>[0], options: SampleOptions) => (
        (temperature = options.temperature),
        sampler.sample(ps, options)
      ),
    };
    const result = await evaluatePassAt1({
      sampler: wrapped,
      verifier: createFakeVerifier(),
      problems,
      sampling: { temperature: 1, topP: 0.9, maxNewTokens: 32 },
      seed: 4,
      samplesPerProblem: 4,
      step: 7,
    });
    expect(result).toMatchObject({
      type: 'eval',
      step: 7,
      problems: 2,
      greedyPassAt1: 0.5,
      sampledPassAt1: 0.5,
      sampledRollouts: 8,
    });
    const [greedy, sampled] = sampler.calls.map((c) => c.args[1] as SampleOptions);
    expect(greedy).toMatchObject({ n: 1, temperature: 0, maxNewTokens: 32 });
    expect(sampled).toMatchObject({ n: 4, temperature: 1, topP: 0.9, seed: 4 });
  });

  it('counts truncated responses wrong and can skip the sampled measurement', async () => {
    const sampler = createFakeSampler((problem) => `\\boxed{${problem.answer}} and more`);
    const result = await evaluatePassAt1({
      sampler,
      verifier: createFakeVerifier(),
      problems,
      sampling: { maxNewTokens: 5 },
      seed: 0,
      sampled: false,
    });
    expect(result).toMatchObject({
      greedyPassAt1: 0,
      greedyTruncatedRate: 1,
      sampledPassAt1: null,
      verdictReasons: { truncated: 2 },
    });
    expect(sampler.calls).toHaveLength(1);
  });
});
