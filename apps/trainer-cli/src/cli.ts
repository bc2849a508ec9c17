#!/usr/bin/env node
/** Entry point of the `oreal` command (bin). */
import { ConfigError, DataFormatError, OrealError } from '@oreal-ts/core';
import { createProgram } from './program';

createProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    if (OrealError.is(error)) {
      process.stderr.write(`oreal: ${error.name}: ${error.message}\n`);
      if (process.env['OREAL_DEBUG'] && error.stack) process.stderr.write(`${error.stack}\n`);
      process.exitCode = ConfigError.is(error) || DataFormatError.is(error) ? 2 : 1;
    } else {
      process.stderr.write(
        `oreal: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    }
  });
