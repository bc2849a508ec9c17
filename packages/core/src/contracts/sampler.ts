import type { Problem } from './problem';
import type { RolloutGroup } from './rollout';
import type { Component } from './version';
import type { ChatMessage } from './tokenizer';

/** How to sample. Defaults used by the trainer follow OREAL: temperature 1, top-p 0.9, no top-k. */
export interface SampleOptions {
  /** Rollouts per problem (K). */
  readonly n: number;
  /** Softmax temperature; 0 means greedy. */
  readonly temperature: number;
  /** Nucleus sampling mass in (0, 1]; 1 disables it. */
  readonly topP: number;
  /** Keep only the k most likely tokens; 0 or undefined disables it. */
  readonly topK?: number;
  /** Token budget per response. */
  readonly maxNewTokens: number;
  /** Stop strings; the matched stop string is kept at the end of the response. */
  readonly stop?: readonly string[];
  /** Stop token ids (local samplers); the stop token is kept as the last response token. */
  readonly stopTokenIds?: readonly number[];
  /** Seed: the same seed and inputs give the same rollouts (where the backend allows it). */
  readonly seed?: number;
}

/** Turns a problem into what the model sees: a prompt string, or chat messages. */
export type PromptTemplate = (problem: Problem) => string | readonly ChatMessage[];

/** Draws K rollouts for each problem. Results come back in problem order, one group per problem. */
export interface Sampler extends Component {
  sample(problems: readonly Problem[], options: SampleOptions): Promise<RolloutGroup[]>;
}
