import { ConfigError } from '@oreal-ts/core';
import { createMathVerifier } from '@oreal-ts/math-verifier';
import { initBackendAndReport } from './backend';
import type { CommandOutput } from './output';
import { verifyBatch, verifyOne } from './verify-command';

/** Flags of `oreal verify`. */
export interface VerifyFlags {
  readonly gold?: string;
  readonly response?: string;
  readonly input?: string;
  readonly explain?: boolean;
  readonly json?: boolean;
  readonly timeoutMs: number;
}

/** `oreal verify`: one `--gold`/`--response` pair (exit code 0 when correct, 1 when not) or a JSONL `--input` batch. */
export async function runVerifyCommand(flags: VerifyFlags, output: CommandOutput): Promise<void> {
  const single = flags.gold !== undefined || flags.response !== undefined;
  if (single && flags.input)
    throw new ConfigError('--input', 'give either --gold and --response, or --input file.jsonl, not both');
  if (!single && !flags.input)
    throw new ConfigError(
      '--gold',
      "missing; use --gold '<answer>' --response '<text>' or --input file.jsonl",
    );
  if (single && (flags.gold === undefined || flags.response === undefined)) {
    throw new ConfigError(
      flags.gold === undefined ? '--gold' : '--response',
      'missing; --gold and --response go together',
    );
  }
  if (!Number.isInteger(flags.timeoutMs) || flags.timeoutMs <= 0) {
    throw new ConfigError(
      '--timeout-ms',
      `must be a positive integer of milliseconds, got ${flags.timeoutMs}`,
    );
  }
  await initBackendAndReport(output);
  const verifier = createMathVerifier({ timeoutMs: flags.timeoutMs });
  if (flags.input) {
    await verifyBatch(verifier, flags.input, output);
    return;
  }
  const verdict = await verifyOne(
    verifier,
    {
      gold: flags.gold as string,
      response: flags.response as string,
      explain: flags.explain ?? false,
      json: flags.json ?? false,
    },
    output,
  );
  if (!verdict.correct) process.exitCode = 1;
}
