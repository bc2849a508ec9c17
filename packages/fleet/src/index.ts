/**
 * @oreal-ts/fleet — RL over a fleet of inference servers that sample from the weights being
 * trained: weight-sync targets for `oreal serve`, SGLang and vLLM (core's `WeightSyncTarget`),
 * and `createFleet`, a core `WeightSync` that is also the server pool of an OpenAI sampler.
 */
export {
  createFleet,
  type Fleet,
  type FleetOptions,
  type FleetLogger,
  type FleetLease,
  type MemberState,
  type MemberStatus,
} from './fleet';
export { createOrealServeTarget, type OrealServeTargetOptions } from './targets/oreal-serve';
export { createSglangTarget, type SglangTargetOptions } from './targets/sglang';
export {
  createVllmLoraTarget,
  versionOfAdapter,
  type VllmLoraTargetOptions,
  type ModelNamingTarget,
} from './targets/vllm';
export { parseVersion, serverRoot, type HttpOptions } from './http';
