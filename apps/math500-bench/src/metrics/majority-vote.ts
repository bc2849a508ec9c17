/**
 * Majority voting (maj@k, a.k.a. self-consistency; Wang et al. 2023) with answers clustered by an
 * equivalence relation — in this harness the math verifier's own `compareAnswers`, so `0.5`, `\frac12`
 * and `\frac{1}{2}` are one vote.
 */

/** Are two extracted answers the same answer? May be async (e.g. a worker pool with a timeout). */
export type AnswerEquivalence = (representative: string, candidate: string) => boolean | Promise<boolean>;

/** One sample of one problem, as majority voting sees it. */
export interface VoteSample {
  /** Sample index (0-based); voting uses samples in increasing index order. */
  readonly sample: number;
  /** The extracted final answer; `null` means the sample does not vote (no answer, or truncated). */
  readonly answer: string | null;
  /** The verifier's verdict for this sample against the gold answer. */
  readonly correct: boolean;
}

/**
 * Assign each answer a cluster id (index of its cluster, in order of first appearance); `null` answers get
 * `null`. Greedy single pass in the order given: an answer joins the FIRST existing cluster whose
 * representative (its first member) is equivalent to it, else opens a new cluster. Exact string matches
 * (after trimming) skip the equivalence call. Equivalence need not be transitive; the greedy rule makes
 * the result deterministic anyway.
 */
export async function clusterAnswers(answers: readonly (string | null)[], equivalent: AnswerEquivalence): Promise<(number | null)[]> {
  const representatives: string[] = [];
  const byText = new Map<string, number>();
  const out: (number | null)[] = [];
  for (const raw of answers) {
    if (raw === null) {
      out.push(null);
      continue;
    }
    const answer = raw.trim();
    let cluster = byText.get(answer);
    if (cluster === undefined) {
      for (let c = 0; c < representatives.length; c++) {
        if (await equivalent(representatives[c] as string, answer)) {
          cluster = c;
          break;
        }
      }
      if (cluster === undefined) {
        cluster = representatives.length;
        representatives.push(answer);
      }
      byText.set(answer, cluster);
    }
    out.push(cluster);
  }
  return out;
}

/**
 * maj@k of one problem from its samples (sorted by `sample`) and their cluster ids (`clusterAnswers`):
 * the vote is taken over the FIRST k samples by index (as Qwen2.5-Math's evaluation does), not averaged
 * over all k-subsets. The winning cluster has the most votes; ties go to the cluster whose first vote came
 * earliest (lowest sample index). The vote is correct when the winning cluster's first member was graded
 * correct. Returns 0 when none of the first k samples votes.
 */
export function majorityCorrect(samples: readonly VoteSample[], clusters: readonly (number | null)[], k: number): 0 | 1 {
  const votes = new Map<number, { count: number; first: number; correct: boolean }>();
  for (let i = 0; i < Math.min(k, samples.length); i++) {
    const cluster = clusters[i];
    const sample = samples[i] as VoteSample;
    if (cluster === null || cluster === undefined) continue;
    const entry = votes.get(cluster);
    if (entry) entry.count++;
    else votes.set(cluster, { count: 1, first: i, correct: sample.correct });
  }
  let best: { count: number; first: number; correct: boolean } | undefined;
  for (const entry of votes.values()) {
    if (!best || entry.count > best.count || (entry.count === best.count && entry.first < best.first)) best = entry;
  }
  return best?.correct ? 1 : 0;
}

/**
 * Mean maj@k over problems for every k = 1..min(n_i). `problems[i]` holds problem i's samples (any order;
 * sorted by index here). Returns `[{ k, value }]` in increasing k.
 */
export async function majorityAtKCurve(
  problems: readonly (readonly VoteSample[])[],
  equivalent: AnswerEquivalence,
): Promise<{ k: number; value: number }[]> {
  if (problems.length === 0) return [];
  const sorted = problems.map((samples) => [...samples].sort((a, b) => a.sample - b.sample));
  const clusters = await Promise.all(sorted.map((samples) => clusterAnswers(samples.map((s) => s.answer), equivalent)));
  const maxK = Math.min(...sorted.map((s) => s.length));
  const curve: { k: number; value: number }[] = [];
  for (let k = 1; k <= maxK; k++) {
    let sum = 0;
    sorted.forEach((samples, i) => (sum += majorityCorrect(samples, clusters[i] as (number | null)[], k)));
    curve.push({ k, value: sum / problems.length });
  }
  return curve;
}
