/** @oreal-ts/sampler — skeleton; implementation in progress. */
export const packageName = '@oreal-ts/sampler';
