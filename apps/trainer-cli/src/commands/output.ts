/** Where a command writes: results to `out` (stdout), progress and diagnostics to `err` (stderr). */
export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

/** Output to the process's stdout/stderr. */
export const processOutput: CommandOutput = {
  out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};
