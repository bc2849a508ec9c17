import { InvalidArgumentError } from '@oreal-ts/core';
import type { Policy, RandomSource, Tokenizer } from '@oreal-ts/core';
import { logProbAt, logSoftmax, sampleToken, type TokenSamplingSettings } from './sampling';
import { findStopString } from './stop-strings';

/** One sequence to generate: its prompt token ids and its own random stream. */
export interface GenerationRequest {
  readonly promptIds: readonly number[];
  /** The row's random stream (unused when greedy). Give each row its own for batch-size-independent results. */
  readonly rng: RandomSource;
  /** This row's settings; default: the settings passed with the batch. */
  readonly settings?: GenerationSettings;
}

/** How to generate: token sampling settings plus the token budget and the stops. */
export interface GenerationSettings extends TokenSamplingSettings {
  /** Token budget per sequence. */
  readonly maxNewTokens: number;
  /** Token ids that end a sequence (kept as its last token). */
  readonly stopTokenIds: readonly number[];
  /** Strings that end a sequence (kept at the end of its text). */
  readonly stop: readonly string[];
  /** Also record the `topLogProbs` most likely alternatives at each step (raw log-softmax). Default 0. */
  readonly topLogProbs?: number;
}

/** A candidate token and its raw log-prob. */
export interface TokenLogProb {
  readonly tokenId: number;
  readonly logProb: number;
}

/** One generated sequence. */
export interface GeneratedSequence {
  /** Response token ids; a stop token, when produced, is the last one. */
  readonly tokenIds: number[];
  /** `log softmax(raw logits)[token]` of each response token (temperature 1, no filtering). */
  readonly logProbs: number[];
  /** Decoded response (special tokens skipped), cut just after a matched stop string. */
  readonly text: string;
  readonly finishReason: 'stop' | 'length';
  /** The stop string that ended it, if one did. */
  readonly stopString?: string;
  /** The stop token that ended it, if one did. */
  readonly stopTokenId?: number;
  /** Per step, the `topLogProbs` most likely tokens (descending), when asked for. */
  readonly topLogProbs?: TokenLogProb[][];
}

/** Live state of one row during decoding. */
interface RowState {
  readonly tokenIds: number[];
  readonly logProbs: number[];
  done: boolean;
  finishReason: 'stop' | 'length';
  text: string | undefined;
  readonly topLogProbs: TokenLogProb[][];
  stopString?: string;
  stopTokenId?: number;
}

/** The `count` most likely tokens of a logits row with their raw log-probs, descending (ties: lower id). // [V] → [count] */
export function topTokens(logits: ArrayLike<number>, count: number): TokenLogProb[] {
  const logProbs = logSoftmax(logits);
  const best: TokenLogProb[] = [];
  for (let id = 0; id < logProbs.length; id++) {
    const logProb = logProbs[id] as number;
    if (best.length === count && logProb <= (best[best.length - 1] as TokenLogProb).logProb) continue;
    let at = best.length;
    while (at > 0 && (best[at - 1] as TokenLogProb).logProb < logProb) at--;
    best.splice(at, 0, { tokenId: id, logProb });
    if (best.length > count) best.pop();
  }
  return best;
}

/** Throw a clear error when a prompt cannot fit `maxNewTokens` more tokens in the model's context. */
export function assertPromptFits(
  policy: Pick<Policy, 'maxSequenceLength'>,
  promptLength: number,
  maxNewTokens: number,
  where: string,
): void {
  if (promptLength === 0) {
    throw new InvalidArgumentError(
      where,
      'the prompt has no tokens; give a non-empty prompt or a tokenizer with a BOS token',
    );
  }
  if (promptLength + maxNewTokens > policy.maxSequenceLength) {
    throw new InvalidArgumentError(
      where,
      `prompt of ${promptLength} tokens + maxNewTokens ${maxNewTokens} exceeds the model's maxSequenceLength ${policy.maxSequenceLength}; ` +
        `shorten the prompt to at most ${Math.max(0, policy.maxSequenceLength - maxNewTokens)} tokens or lower maxNewTokens`,
    );
  }
}

/** Per-row constants derived from a row's settings. */
interface RowPlan {
  readonly settings: GenerationSettings;
  readonly stopTokens: ReadonlySet<number>;
  /** Tokens decoded to look for a stop string: enough to cover the longest stop string. */
  readonly stopWindow: number;
  readonly topCount: number;
}

function planFor(settings: GenerationSettings): RowPlan {
  const longestStop = settings.stop.reduce((m, stop) => Math.max(m, stop.length), 0);
  return {
    settings,
    stopTokens: new Set(settings.stopTokenIds),
    stopWindow: longestStop + 8,
    topCount: settings.topLogProbs ?? 0,
  };
}

/**
 * Generate one batch with a single decoding session: the policy left-pads the prompts and keeps a
 * KV cache; `prefill()` once, then one `step()` per new token. Each row uses its request's
 * `settings` when given, else `settings` (so requests with different sampling settings can share a
 * batch). Rows that finished are fed `fillTokenId` (pad, else EOS, else 0) and ignored; decoding
 * stops as soon as every row is done. The session is disposed on every path.
 *
 * Stop strings are looked for in the decoded last `longest stop + 8` tokens after each token
 * (O(1) per step instead of re-decoding the whole response); on a hit the full text is decoded
 * once and cut after the earliest stop string.
 */
export async function generateBatch(
  policy: Policy,
  tokenizer: Tokenizer,
  requests: readonly GenerationRequest[],
  settings: GenerationSettings,
): Promise<GeneratedSequence[]> {
  if (requests.length === 0) return [];
  const plans = new Map<GenerationSettings, RowPlan>();
  const rowPlans = requests.map((request, row) => {
    const rowSettings = request.settings ?? settings;
    assertPromptFits(
      policy,
      request.promptIds.length,
      rowSettings.maxNewTokens,
      `requests[${row}].promptIds`,
    );
    let plan = plans.get(rowSettings);
    if (!plan) plans.set(rowSettings, (plan = planFor(rowSettings)));
    return plan;
  });
  const maxNewTokens = Math.max(...rowPlans.map((plan) => plan.settings.maxNewTokens));
  const fillTokenId = tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0;
  const rows: RowState[] = requests.map(() => ({
    tokenIds: [],
    logProbs: [],
    done: false,
    finishReason: 'length',
    text: undefined,
    topLogProbs: [],
  }));
  const session = await policy.startDecoding(requests.map((r) => r.promptIds));
  try {
    let logits = await session.prefill(); // B × [V]
    for (let t = 0; t < maxNewTokens; t++) {
      const next: number[] = new Array<number>(rows.length).fill(fillTokenId);
      rows.forEach((row, r) => {
        if (row.done) return;
        const plan = rowPlans[r] as RowPlan;
        const rowLogits = logits[r];
        if (!rowLogits)
          throw new InvalidArgumentError(
            'policy',
            `decoding session returned ${logits.length} logit rows for a batch of ${rows.length}`,
          );
        // Draw only ids the tokenizer knows (models may pad their vocabulary past it, as Qwen2 does);
        // the log-prob stays the model's own, over its whole vocabulary.
        const drawable =
          rowLogits.length > tokenizer.vocabSize ? rowLogits.subarray(0, tokenizer.vocabSize) : rowLogits;
        const { tokenId } = sampleToken(drawable, plan.settings, (requests[r] as GenerationRequest).rng);
        const logProb = logProbAt(rowLogits, tokenId);
        row.tokenIds.push(tokenId);
        row.logProbs.push(logProb);
        if (plan.topCount > 0) row.topLogProbs.push(topTokens(rowLogits, plan.topCount));
        next[r] = tokenId;
        if (plan.stopTokens.has(tokenId)) {
          row.done = true;
          row.finishReason = 'stop';
          row.stopTokenId = tokenId;
        } else if (plan.settings.stop.length > 0) {
          // Any stop string in the tail is new: an earlier one would have ended the row already.
          const tail = tokenizer.decode(row.tokenIds.slice(-plan.stopWindow), { skipSpecialTokens: true });
          if (findStopString(tail, plan.settings.stop)) {
            const text = tokenizer.decode(row.tokenIds, { skipSpecialTokens: true });
            const match = findStopString(text, plan.settings.stop);
            if (match) {
              row.done = true;
              row.finishReason = 'stop';
              row.stopString = match.stop;
              row.text = text.slice(0, match.end);
            }
          }
        }
        if (!row.done && row.tokenIds.length >= plan.settings.maxNewTokens) row.done = true;
      });
      if (rows.every((row) => row.done)) break;
      logits = await session.step(next);
    }
  } finally {
    session.dispose();
  }
  return rows.map((row, r) => ({
    tokenIds: row.tokenIds,
    logProbs: row.logProbs,
    text: row.text ?? tokenizer.decode(row.tokenIds, { skipSpecialTokens: true }),
    finishReason: row.finishReason,
    ...(row.stopString === undefined ? {} : { stopString: row.stopString }),
    ...(row.stopTokenId === undefined ? {} : { stopTokenId: row.stopTokenId }),
    ...((rowPlans[r] as RowPlan).topCount > 0 ? { topLogProbs: row.topLogProbs } : {}),
  }));
}

/** `generateBatch` over consecutive chunks of at most `batchSize` requests; results in request order. */
export async function generateSequences(
  policy: Policy,
  tokenizer: Tokenizer,
  requests: readonly GenerationRequest[],
  settings: GenerationSettings,
  batchSize: number,
): Promise<GeneratedSequence[]> {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new InvalidArgumentError('batchSize', `must be a positive integer, got ${batchSize}`);
  requests.forEach((request, row) =>
    assertPromptFits(
      policy,
      request.promptIds.length,
      (request.settings ?? settings).maxNewTokens,
      `requests[${row}].promptIds`,
    ),
  );
  const out: GeneratedSequence[] = [];
  for (let start = 0; start < requests.length; start += batchSize) {
    out.push(...(await generateBatch(policy, tokenizer, requests.slice(start, start + batchSize), settings)));
  }
  return out;
}
