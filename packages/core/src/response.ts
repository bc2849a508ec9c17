import type { FinishReason } from './contracts/rollout';
import type { VerifierResponse } from './contracts/verifier';

/** The text of a verifier response given as a string or an object. */
export function responseText(response: string | VerifierResponse): string {
  return typeof response === 'string' ? response : response.text;
}

/** The finish reason of a verifier response, when known. */
export function responseFinishReason(response: string | VerifierResponse): FinishReason | undefined {
  return typeof response === 'string' ? undefined : response.finishReason;
}
