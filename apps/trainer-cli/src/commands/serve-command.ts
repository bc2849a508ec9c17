import { loadTokenizer, loadTransformerPolicy } from '@oreal-ts/tensor-model';
import { startServer } from '../serve/index';
import { initBackendAndReport } from './backend';
import type { CommandOutput } from './output';
import { ConfigError } from '@oreal-ts/core';

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
  const policy = await loadTransformerPolicy(flags.checkpoint, {});
  const server = await startServer({ policy, tokenizer, modelName: flags.modelName, host: flags.host, port: flags.port });
  output.err(`serving ${flags.checkpoint} as '${flags.modelName}' at ${server.url} (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      output.err(`${signal}: shutting down`);
      void server.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  policy.dispose();
}
