/** @oreal-ts/math-verifier — skeleton; implementation in progress. */
export const packageName = '@oreal-ts/math-verifier';
