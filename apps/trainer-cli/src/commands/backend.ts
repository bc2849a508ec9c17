import { initBackend } from '@oreal-ts/tensor-model';
import type { CommandOutput } from './output';

/** The backend report of `initBackend`. */
export type BackendReport = Awaited<ReturnType<typeof initBackend>>;

/** One line naming the chosen tfjs backend and why, e.g. `tfjs backend: wasm (tensorflow: not installed)`. */
export function describeBackend(report: BackendReport): string {
  return `tfjs backend: ${report.backend}${report.reason ? ` (${report.reason})` : ''}`;
}

/** Initialise tfjs (best backend available) and print which one was chosen. */
export async function initBackendAndReport(output: CommandOutput): Promise<BackendReport> {
  const report = await initBackend({ quiet: true });
  output.err(describeBackend(report));
  return report;
}
