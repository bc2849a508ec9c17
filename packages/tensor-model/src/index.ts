/** @oreal-ts/tensor-model — skeleton; implementation in progress. */
export const packageName = '@oreal-ts/tensor-model';
