/** @oreal-ts/trainer-cli — skeleton; implementation in progress. */
export const packageName = '@oreal-ts/trainer-cli';
