import {
  InvalidArgumentError,
  logitAccuracy,
  rocAuc,
  summariseNegativeMass,
  type NegativeMassSummary,
  type PerTokenValues,
  type Problem,
  type TokenBatch,
  type TokenRewardModel,
  type Tokenizer,
} from '@oreal-ts/core';

/**
 * Credit-assignment diagnostics of the token reward model (issue 16): where a wrong rollout goes
 * wrong (its first wrong token), how much of ω⁻ the reward model puts there, and how well its
 * sequence logit separates right from wrong on rollouts it never trained on.
 */

/**
 * Where a wrong response first goes wrong, as a character index into its text (null: unknown).
 * The built-in task families use `firstDeparture(problem.solution, text)`.
 */
export type CreditMarker = (problem: Problem, responseText: string) => number | null;

/**
 * The index of the token that holds character `charIndex` of `decode(tokenIds)`: the first t with
 * `decode(tokenIds[0..t]).length > charIndex` (binary search over prefixes, O(T log T) decodes of
 * growing prefixes). A character at or past the end of the text (a truncated response, or one whose
 * last tokens decode to nothing, e.g. an end-of-sequence token) maps to the last token.
 */
export function tokenIndexOfChar(tokenizer: Tokenizer, tokenIds: readonly number[], charIndex: number): number {
  if (tokenIds.length === 0) throw new InvalidArgumentError('tokenIds', 'is empty: a response without tokens has no token to mark');
  if (!(Number.isInteger(charIndex) && charIndex >= 0)) {
    throw new InvalidArgumentError('charIndex', `must be an integer ≥ 0, got ${charIndex}`);
  }
  let lo = 0;
  let hi = tokenIds.length - 1;
  if (tokenizer.decode(tokenIds).length <= charIndex) return hi;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokenizer.decode(tokenIds.slice(0, mid + 1)).length > charIndex) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Token index of the first wrong token of a wrong rollout, or null (no marker for the problem, or
 * the response never departs from the solution).
 */
export function firstWrongToken(
  marker: CreditMarker,
  tokenizer: Tokenizer,
  problem: Problem,
  responseIds: readonly number[],
): number | null {
  if (responseIds.length === 0) return null;
  const charIndex = marker(problem, tokenizer.decode(responseIds));
  return charIndex === null ? null : tokenIndexOfChar(tokenizer, responseIds, charIndex);
}

/** ω⁻ mass shares with the names the metrics line uses. */
export interface CreditShares {
  /** Mean share of ω⁻ mass on the first wrong token. */
  readonly onFirstWrong: number;
  /** Mean share at or after it. */
  readonly atOrAfterFirstWrong: number;
  /** The same shares for ω ≡ 1 (what no credit assignment gives). */
  readonly uniformOnFirstWrong: number;
  readonly uniformAtOrAfterFirstWrong: number;
  /** Negatives with a marker and some ω⁻ mass, which the means are over. */
  readonly rollouts: number;
  /** Negatives with a marker whose ω⁻ summed to 0 (not in the means). */
  readonly withoutMass: number;
}

/**
 * Credit shares of the negatives among `weights` rows (rows with `positive[i]` or no marker are
 * left out). Null when no negative with a marker has ω⁻ mass.
 */
export function creditShares(
  weights: PerTokenValues,
  positive: readonly boolean[],
  markers: readonly (number | null)[],
): CreditShares | null {
  if (positive.length !== weights.length || markers.length !== weights.length) {
    throw new InvalidArgumentError(
      'markers',
      `expected one label and one marker per row (${weights.length}), got ${positive.length} and ${markers.length}`,
    );
  }
  const rows: number[][] = [];
  const marks: number[] = [];
  weights.forEach((row, i) => {
    const mark = markers[i];
    if (positive[i] || mark === null || mark === undefined || row.length === 0) return;
    rows.push([...row]);
    marks.push(Math.min(mark, row.length - 1));
  });
  if (rows.length === 0) return null;
  const summary: NegativeMassSummary | null = summariseNegativeMass(rows, marks);
  if (!summary) return null;
  return {
    onFirstWrong: summary.onMarker,
    atOrAfterFirstWrong: summary.atOrAfterMarker,
    uniformOnFirstWrong: summary.uniformOnMarker,
    uniformAtOrAfterFirstWrong: summary.uniformAtOrAfterMarker,
    rollouts: summary.rollouts,
    withoutMass: summary.withoutMass,
  };
}

/** Mean token score of each row: the sequence logit the reward model is trained on. */
export function sequenceLogits(scores: PerTokenValues): number[] {
  return scores.map((row) => (row.length === 0 ? 0 : row.reduce((sum, s) => sum + s, 0) / row.length));
}

/** A fixed set of labelled rollouts the reward model never trains on. */
export interface HeldOutRollouts {
  readonly batch: TokenBatch;
  readonly positive: readonly boolean[];
  /** First wrong token per row (null for positives and unmarked negatives). */
  readonly markers: readonly (number | null)[];
  /** Problem id per row (for the within-problem AUC); absent: that AUC is not measured. */
  readonly problemIds?: readonly string[];
}

/**
 * Within-problem AUC: over every (right, wrong) pair of rollouts of the SAME problem, the share
 * where the right one has the higher logit (ties ½). A reward model that only predicts which
 * problems are hard from the prompt scores 0.5 here however high its plain AUC; credit assignment
 * needs it above 0.5. Null when no problem has both a right and a wrong rollout.
 */
export function withinProblemAuc(
  logits: readonly number[],
  positive: readonly boolean[],
  problemIds: readonly string[],
): { auc: number; pairs: number } | null {
  const byProblem = new Map<string, { pos: number[]; neg: number[] }>();
  logits.forEach((z, i) => {
    const id = problemIds[i] as string;
    const entry = byProblem.get(id) ?? { pos: [], neg: [] };
    (positive[i] ? entry.pos : entry.neg).push(z);
    byProblem.set(id, entry);
  });
  let wins = 0;
  let pairs = 0;
  for (const { pos, neg } of byProblem.values())
    for (const p of pos)
      for (const n of neg) {
        pairs++;
        wins += p > n ? 1 : p === n ? 0.5 : 0;
      }
  return pairs === 0 ? null : { auc: wins / pairs, pairs };
}

/** The reward model's accuracy, AUC and credit on a held-out set. */
export interface HeldOutDiagnostics {
  readonly rollouts: number;
  readonly positives: number;
  /** Share of rows whose sequence logit has the outcome's sign (null: no rows). */
  readonly accuracy: number | null;
  /** ROC AUC of the sequence logit (null when a class is absent). */
  readonly auc: number | null;
  /** AUC over right/wrong pairs of the same problem (null: no such pair, or no problem ids). */
  readonly withinProblemAuc: number | null;
  readonly withinProblemPairs: number;
  /** ω⁻ mass shares on the held-out negatives (null: none with a marker and mass). */
  readonly credit: CreditShares | null;
  /**
   * Localisation of the raw scores, free of the q → ω mapping: the share of marked negatives whose
   * lowest token score s_t is at the first wrong token, and the chance level mean(1/T) (null: no
   * marked negative).
   */
  readonly lowestScore: { readonly onFirstWrong: number; readonly uniform: number; readonly rollouts: number } | null;
}

/**
 * Share of marked negative rows whose lowest score is at their first wrong token (ties: the first
 * lowest), and the chance level mean(1/T). Null when no negative row has a marker.
 */
export function lowestScoreOnFirstWrong(
  scores: PerTokenValues,
  positive: readonly boolean[],
  markers: readonly (number | null)[],
): { onFirstWrong: number; uniform: number; rollouts: number } | null {
  let hits = 0;
  let chance = 0;
  let rows = 0;
  scores.forEach((row, i) => {
    const mark = markers[i];
    if (positive[i] || mark === null || mark === undefined || row.length === 0) return;
    let lowest = 0;
    row.forEach((s, t) => {
      if (s < (row[lowest] as number)) lowest = t;
    });
    if (lowest === Math.min(mark, row.length - 1)) hits++;
    chance += 1 / row.length;
    rows++;
  });
  return rows === 0 ? null : { onFirstWrong: hits / rows, uniform: chance / rows, rollouts: rows };
}

/** Score a held-out set with the reward model: accuracy and AUC of its logit, credit of its ω⁻. */
export async function heldOutDiagnostics(
  rewardModel: TokenRewardModel,
  heldOut: HeldOutRollouts,
): Promise<HeldOutDiagnostics> {
  const rows = heldOut.positive.length;
  if (rows === 0)
    return {
      rollouts: 0,
      positives: 0,
      accuracy: null,
      auc: null,
      withinProblemAuc: null,
      withinProblemPairs: 0,
      credit: null,
      lowestScore: null,
    };
  const scores = await rewardModel.scores(heldOut.batch);
  const logits = sequenceLogits(scores);
  const weights = await rewardModel.tokenWeights(heldOut.batch, heldOut.positive);
  const within = heldOut.problemIds ? withinProblemAuc(logits, heldOut.positive, heldOut.problemIds) : null;
  return {
    rollouts: rows,
    positives: heldOut.positive.filter(Boolean).length,
    accuracy: logitAccuracy(logits, heldOut.positive),
    auc: rocAuc(logits, heldOut.positive),
    withinProblemAuc: within?.auc ?? null,
    withinProblemPairs: within?.pairs ?? 0,
    credit: creditShares(weights, heldOut.positive, heldOut.markers),
    lowestScore: lowestScoreOnFirstWrong(scores, heldOut.positive, heldOut.markers),
  };
}
