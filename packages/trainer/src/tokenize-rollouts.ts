import type { Rollout, Tokenizer } from '@oreal-ts/core';

/** A rollout whose prompt and response token ids are known. */
export interface TokenizedRollout extends Rollout {
  readonly promptTokenIds: readonly number[];
}

/**
 * Fill in token ids a remote sampler did not send. The response text is encoded; when the
 * rollout stopped (`stop`) and its text does not end with one of `stop` strings, the tokenizer's
 * end-of-sequence token is appended — the stop token is part of the response (OREAL loop step 1).
 * Rollouts that already carry token ids are kept as they are (their prompt ids are encoded when missing).
 */
export function tokenizeRollout(
  rollout: Rollout,
  tokenizer: Tokenizer,
  stop: readonly string[] = [],
): TokenizedRollout {
  const promptTokenIds = rollout.promptTokenIds ?? tokenizer.encode(rollout.prompt);
  if (rollout.tokenIds.length > 0 || rollout.text === '') {
    return { ...rollout, promptTokenIds };
  }
  const tokenIds = tokenizer.encode(rollout.text);
  const endsWithStopString = stop.some((s) => rollout.text.endsWith(s));
  if (rollout.finishReason === 'stop' && !endsWithStopString && tokenizer.eosTokenId !== undefined) {
    tokenIds.push(tokenizer.eosTokenId);
  }
  return { ...rollout, promptTokenIds, tokenIds, logProbs: [] };
}
