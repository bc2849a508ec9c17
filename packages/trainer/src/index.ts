/** @oreal-ts/trainer — skeleton; implementation in progress. */
export const packageName = '@oreal-ts/trainer';
