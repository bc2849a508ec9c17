/** The contract generation every role in this package implements. Bumped only on breaking changes. */
export type SpecificationVersion = 'v1';

/** Fields every pluggable component carries: the contract version and a stable, human-readable id. */
export interface Component {
  /** Contract generation; a component built for another generation is refused by consumers. */
  readonly specificationVersion: SpecificationVersion;
  /** Stable identifier, e.g. `oreal-ts/math-verifier` or `my-lab/strict-units`. */
  readonly id: string;
}
