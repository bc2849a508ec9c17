import {
  InvalidArgumentError,
  type Problem,
  type SampleOptions,
  type Sampler,
  type Tokenizer,
} from '@oreal-ts/core';
import { tokenizeRollout, type TokenizedRollout } from '../tokenize-rollouts';

/** Input of the sample phase: the step's problems and how to draw their rollouts. */
export interface SampleInput {
  readonly sampler: Sampler;
  readonly tokenizer: Tokenizer;
  readonly problems: readonly Problem[];
  /** Sampling options (n = K rollouts per problem, the step's seed, stop ids). */
  readonly options: SampleOptions;
  /** Stop strings cut from rollout texts that come back without token ids. */
  readonly stop?: readonly string[];
}

/** One problem with its K tokenised rollouts. */
export interface SampledGroup {
  readonly problem: Problem;
  readonly rollouts: readonly TokenizedRollout[];
}

/** Output of the sample phase: one group per input problem, in order. */
export interface SampleOutput {
  readonly groups: readonly SampledGroup[];
}

/** Sample phase: draw K rollouts per problem and tokenise those that came back without token ids. */
export async function samplePhase(input: SampleInput): Promise<SampleOutput> {
  const { sampler, tokenizer, problems } = input;
  const groups = await sampler.sample(problems, input.options);
  if (groups.length !== problems.length) {
    throw new InvalidArgumentError(
      'sampler',
      `'${sampler.id}' returned ${groups.length} groups for ${problems.length} problems; a sampler must return one group per problem, in order`,
    );
  }
  return {
    groups: groups.map((group, index) => ({
      problem: problems[index] as Problem,
      rollouts: group.rollouts.map((rollout) => tokenizeRollout(rollout, tokenizer, input.stop)),
    })),
  };
}
