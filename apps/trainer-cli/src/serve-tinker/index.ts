/** `oreal serve --tinker`: the tfjs model behind the Tinker API (see README.md in this folder). */
export {
  startTinkerServer,
  type TinkerServerOptions,
  type TinkerModelSource,
  type RunningTinkerServer,
} from './server';
export { TinkerEngine, NotFoundError, type TinkerEngineOptions } from './engine';
export { FutureStore, KeyedQueue, UserInputError, type FutureOutcome } from './futures';
export { dataToBatch, tinkerLoss, lossFnOutputs, modelInputTokens } from './datum-batch';
