import type { RunningServer, ServeLogger } from './server';

/** Options of `installShutdownHandlers`. */
export interface ShutdownOptions {
  /** Signals that stop the server. Default `['SIGINT', 'SIGTERM']`. */
  readonly signals?: readonly NodeJS.Signals[];
  readonly logger?: ServeLogger;
  /** Run after the server closed (e.g. dispose the policy). */
  readonly onClosed?: () => void | Promise<void>;
  /** How to end the process. Default `process.exit`. Injected in tests. */
  readonly exit?: (code: number) => void;
}

/**
 * Graceful shutdown for `oreal serve`: the first SIGINT/SIGTERM stops accepting connections, lets
 * in-flight requests finish, runs `onClosed`, then exits 0 (1 if closing failed); a second signal
 * exits 130 at once. Returns a function that removes the handlers.
 */
export function installShutdownHandlers(
  server: Pick<RunningServer, 'close'>,
  options: ShutdownOptions = {},
): () => void {
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let shuttingDown = false;
  const handler = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      options.logger?.warn(`${signal} again: exiting without waiting for in-flight requests`);
      exit(130);
      return;
    }
    shuttingDown = true;
    options.logger?.info(
      `${signal}: finishing in-flight requests, then closing (send ${signal} again to force)`,
    );
    server
      .close()
      .then(() => options.onClosed?.())
      .then(
        () => exit(0),
        (error: unknown) => {
          options.logger?.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
          exit(1);
        },
      );
  };
  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}

/**
 * Resolve with the signal once SIGINT/SIGTERM arrived and the server closed gracefully (in-flight
 * requests finished); the handlers are removed first, so a second signal gets Node's default
 * (immediate exit). For CLIs that clean up themselves after the server stops.
 */
export function waitForShutdown(
  server: Pick<RunningServer, 'close'>,
  options: Pick<ShutdownOptions, 'signals' | 'logger'> = {},
): Promise<NodeJS.Signals> {
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  return new Promise((resolve, reject) => {
    const handler = (signal: NodeJS.Signals) => {
      for (const s of signals) process.off(s, handler);
      options.logger?.info(`${signal}: finishing in-flight requests, then closing`);
      server.close().then(() => resolve(signal), reject);
    };
    for (const signal of signals) process.on(signal, handler);
  });
}
