import { ConfigError } from '@oreal-ts/core';
import {
  hasPublishedVersion,
  loadTokenizer,
  loadTransformerPolicy,
  readPublishedVersion,
} from '@oreal-ts/tensor-model';
import { startServer, waitForShutdown } from '../serve/index';
import { startTinkerServer } from '../serve-tinker/index';
import { initBackendAndReport } from './backend';
import type { CommandOutput } from './output';

/** Flags of `oreal serve`. */
export interface ServeFlags {
  readonly checkpoint: string;
  readonly host: string;
  readonly port: number;
  readonly modelName: string;
}

/** `oreal serve`: serve a checkpoint over the OpenAI API until SIGINT/SIGTERM, then shut down gracefully. */
export async function runServeCommand(flags: ServeFlags, output: CommandOutput): Promise<void> {
  if (!Number.isInteger(flags.port) || flags.port < 0 || flags.port > 65535) {
    throw new ConfigError('--port', `must be an integer in 0..65535, got ${flags.port}`);
  }
  await initBackendAndReport(output);
  const tokenizer = await loadTokenizer(flags.checkpoint);
  // A folder a weight publisher wrote carries its version; other checkpoints serve version null.
  const weightVersion = (await hasPublishedVersion(flags.checkpoint))
    ? (await readPublishedVersion(flags.checkpoint)).version
    : null;
  const policy = await loadTransformerPolicy(flags.checkpoint);
  const logger = {
    info: (message: string) => output.err(message),
    warn: (message: string) => output.err(`warning: ${message}`),
    error: (message: string) => output.err(`error: ${message}`),
  };
  try {
    const server = await startServer({
      policy,
      tokenizer,
      modelName: flags.modelName,
      host: flags.host,
      port: flags.port,
      logger,
      weightVersion,
      reloadWeights: (dir, options) => policy.reloadWeights(dir, options),
    });
    output.err(`serving ${flags.checkpoint} as '${flags.modelName}' at ${server.url}/v1 (Ctrl-C to stop)`);
    await waitForShutdown(server, { logger });
  } finally {
    policy.dispose();
  }
}

/** `oreal serve --tinker`: serve a checkpoint over the Tinker training API until SIGINT/SIGTERM. */
export async function runServeTinkerCommand(
  flags: ServeFlags & { readonly stateDir?: string },
  output: CommandOutput,
): Promise<void> {
  if (!Number.isInteger(flags.port) || flags.port < 0 || flags.port > 65535) {
    throw new ConfigError('--port', `must be an integer in 0..65535, got ${flags.port}`);
  }
  await initBackendAndReport(output);
  const logger = {
    info: (message: string) => output.err(message),
    warn: (message: string) => output.err(`warning: ${message}`),
    error: (message: string) => output.err(`error: ${message}`),
  };
  const server = await startTinkerServer({
    checkpoint: flags.checkpoint,
    baseModel: flags.modelName,
    host: flags.host,
    port: flags.port,
    logger,
    ...(process.env.OREAL_TINKER_API_KEY ? { apiKey: process.env.OREAL_TINKER_API_KEY } : {}),
    ...(flags.stateDir === undefined ? {} : { stateDir: flags.stateDir }),
  });
  output.err(`tinker: serving ${flags.modelName} at ${server.url}`);
  await waitForShutdown(server, { logger });
}
