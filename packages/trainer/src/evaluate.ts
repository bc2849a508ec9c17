import type { Problem, Sampler, VerdictReason, Verifier } from '@oreal-ts/core';
import { gradeRollout } from './grade-rollouts';
import type { EvalMetrics } from './metrics';

/** Sampling settings used by an evaluation (the sampled pass@1 uses them as given; greedy forces temperature 0). */
export interface EvalSampling {
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly maxNewTokens: number;
  readonly stop?: readonly string[];
  readonly stopTokenIds?: readonly number[];
}

/** Options of `evaluatePassAt1`. */
export interface EvaluatePassAt1Options {
  readonly sampler: Sampler;
  readonly verifier: Verifier;
  readonly problems: readonly Problem[];
  readonly sampling: EvalSampling;
  /** Seed of the sampled responses (greedy decoding needs none). */
  readonly seed: number;
  /** Measure sampled pass@1 too. Default true. */
  readonly sampled?: boolean;
  /** Samples per problem for sampled pass@1. Default 4. */
  readonly samplesPerProblem?: number;
  /** Step recorded in the result. Default 0. */
  readonly step?: number;
}

/**
 * Held-out pass@1: one greedy response per problem (temperature 0) and, optionally, the mean
 * correctness of `samplesPerProblem` responses sampled at the given temperature/top-p (an unbiased
 * pass@1 estimate). Truncated responses are incorrect.
 */
export async function evaluatePassAt1(options: EvaluatePassAt1Options): Promise<EvalMetrics> {
  const started = performance.now();
  const { sampler, verifier, problems, sampling } = options;
  const reasons: Partial<Record<VerdictReason, number>> = {};
  if (problems.length === 0) {
    return {
      type: 'eval',
      step: options.step ?? 0,
      problems: 0,
      greedyPassAt1: 0,
      sampledPassAt1: null,
      sampledRollouts: 0,
      greedyTruncatedRate: 0,
      greedyMeanResponseTokens: 0,
      verdictReasons: reasons,
      timing: { evalSeconds: 0 },
    };
  }
  const base = {
    topP: 1,
    topK: 0,
    maxNewTokens: sampling.maxNewTokens,
    ...(sampling.stop ? { stop: sampling.stop } : {}),
    ...(sampling.stopTokenIds ? { stopTokenIds: sampling.stopTokenIds } : {}),
  };
  const greedyGroups = await sampler.sample(problems, { ...base, n: 1, temperature: 0, seed: options.seed });
  let greedyCorrect = 0;
  let truncated = 0;
  let tokens = 0;
  await Promise.all(
    greedyGroups.map(async (group, index) => {
      const rollout = group.rollouts[0];
      const problem = problems[index] as Problem;
      if (!rollout) return;
      const verdict = await gradeRollout(verifier, problem, rollout);
      reasons[verdict.reason] = (reasons[verdict.reason] ?? 0) + 1;
      if (verdict.correct) greedyCorrect++;
      if (rollout.finishReason === 'length') truncated++;
      tokens += rollout.tokenIds.length;
    }),
  );
  let sampledPassAt1: number | null = null;
  let sampledRollouts = 0;
  if (options.sampled ?? true) {
    const n = options.samplesPerProblem ?? 4;
    const groups = await sampler.sample(problems, {
      ...base,
      n,
      temperature: sampling.temperature ?? 1,
      topP: sampling.topP ?? 1,
      topK: sampling.topK ?? 0,
      seed: options.seed,
    });
    let correct = 0;
    await Promise.all(
      groups.flatMap((group, index) =>
        group.rollouts.map(async (rollout) => {
          sampledRollouts++;
          if ((await gradeRollout(verifier, problems[index] as Problem, rollout)).correct) correct++;
        }),
      ),
    );
    sampledPassAt1 = sampledRollouts === 0 ? 0 : correct / sampledRollouts;
  }
  return {
    type: 'eval',
    step: options.step ?? 0,
    problems: problems.length,
    greedyPassAt1: greedyCorrect / problems.length,
    sampledPassAt1,
    sampledRollouts,
    greedyTruncatedRate: truncated / problems.length,
    greedyMeanResponseTokens: tokens / problems.length,
    verdictReasons: sortReasons(reasons),
    timing: { evalSeconds: (performance.now() - started) / 1000 },
  };
}

/** Reason counts in a stable key order (so JSON lines compare equal across runs). */
export function sortReasons(
  reasons: Partial<Record<VerdictReason, number>>,
): Partial<Record<VerdictReason, number>> {
  return Object.fromEntries(Object.entries(reasons).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
