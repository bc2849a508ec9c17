/**
 * @oreal-ts/tinker — a TypeScript client for the Tinker training API and oreal-ts adapters over it.
 * `wire` holds the zod schemas of every request/response body (also exported one by one).
 */
export * as wire from './wire';
export * from './wire';
