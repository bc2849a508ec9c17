#!/usr/bin/env node
/** The `oreal-math500` executable. */
import { runCli } from './cli/program';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('interrupted (SIGINT); finished samples are in results.jsonl — rerun with --resume')));
runCli(process.argv.slice(2), { signal: controller.signal }).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(130);
  },
);
