/** @oreal-ts/token-rm — skeleton; implementation in progress. */
export const packageName = '@oreal-ts/token-rm';
