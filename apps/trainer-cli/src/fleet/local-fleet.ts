import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Options of `startLocalFleet`. */
export interface LocalFleetOptions {
  /** How many `oreal serve` processes to start. */
  readonly count: number;
  /** Checkpoint folder every server starts from. */
  readonly checkpoint: string;
  /** The `model` name the servers answer to. */
  readonly modelName: string;
  /** The `oreal` CLI entry to run with `node` (the running CLI's own file). */
  readonly cliEntry: string;
  /** Each server's stderr goes to `<logDir>/server-<i>.log`. */
  readonly logDir: string;
  /** Give up when a server has not printed its address after this long. Default 120 s. */
  readonly startTimeoutMs?: number;
  /** Extra environment of the servers (e.g. OREAL_BACKEND). */
  readonly env?: NodeJS.ProcessEnv;
}

/** One running `oreal serve` child. */
export interface LocalServer {
  /** Base URL without `/v1`. */
  readonly url: string;
  readonly process: ChildProcess;
  readonly logFile: string;
}

/** A set of `oreal serve` processes on 127.0.0.1. */
export interface LocalFleet {
  readonly servers: readonly LocalServer[];
  /** SIGTERM every server (SIGKILL after `graceMs`, default 10 s) and wait for them to exit. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

const ADDRESS_LINE = /serving .* at (http:\/\/127\.0\.0\.1:\d+)\/v1/;

/** Start one `oreal serve --port 0` child and resolve with its URL once it printed it. */
async function startServer(options: LocalFleetOptions, index: number): Promise<LocalServer> {
  const logFile = join(options.logDir, `server-${index}.log`);
  const log: WriteStream = createWriteStream(logFile);
  const child = spawn(
    process.execPath,
    [
      options.cliEntry,
      'serve',
      '--checkpoint',
      options.checkpoint,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--model-name',
      options.modelName,
    ],
    { env: { ...process.env, ...options.env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.once('close', () => log.end());
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  return new Promise<LocalServer>((resolve, reject) => {
    let seen = '';
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`oreal serve #${index} printed no address within ${timeoutMs} ms (log: ${logFile})`));
    }, timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (ready) return;
      seen += chunk.toString();
      const match = ADDRESS_LINE.exec(seen);
      if (match?.[1]) {
        clearTimeout(timer);
        ready = true;
        resolve({ url: match[1], process: child, logFile });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!ready)
        reject(
          new Error(`oreal serve #${index} exited (${code ?? signal}) before it was ready (log: ${logFile})`),
        );
    });
  });
}

/** Wait for a child to exit, killing it after `graceMs`. */
function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Start `count` `oreal serve` processes on 127.0.0.1 (free ports) over one checkpoint, as a
 * stand-in for a fleet of inference servers (the fleet demo and its tests). Servers start one after
 * the other (each loads the model on its own core). If one fails to start, those already started
 * are stopped and the error names the failing server's log.
 */
export async function startLocalFleet(options: LocalFleetOptions): Promise<LocalFleet> {
  await mkdir(options.logDir, { recursive: true });
  const servers: LocalServer[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 10_000) =>
    (stopping ??= Promise.all(servers.map((s) => terminate(s.process, graceMs))).then(() => undefined));
  try {
    for (let i = 0; i < options.count; i++) servers.push(await startServer(options, i));
  } catch (error) {
    await stop(2_000);
    throw error;
  }
  return { servers, stop };
}
