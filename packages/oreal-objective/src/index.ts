/** @oreal-ts/oreal-objective — skeleton; implementation in progress. */
export const packageName = '@oreal-ts/oreal-objective';
