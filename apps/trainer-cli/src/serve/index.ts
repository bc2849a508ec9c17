/** `oreal serve`: a local policy over the OpenAI API (see README.md in this folder). */
export { startServer, type ServeOptions, type RunningServer, type ServeLogger } from './server';
export { installShutdownHandlers, waitForShutdown, type ShutdownOptions } from './shutdown';
export {
  CompletionRequestSchema,
  ChatRequestSchema,
  type CompletionRequest,
  type ChatRequest,
} from './request-schemas';
