/** @oreal-ts/math500-bench — skeleton; implementation in progress. */
export const packageName = '@oreal-ts/math500-bench';
