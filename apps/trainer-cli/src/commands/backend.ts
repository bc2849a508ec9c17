import { initBackend } from '@oreal-ts/tensor-model';
import type { CommandOutput } from './output';

/** The backend report of `initBackend`. */
export type BackendReport = Awaited<ReturnType<typeof initBackend>>;

/**
 * One line naming the chosen tfjs backend and why, and on wasm its threads, e.g.
 * `tfjs backend: wasm (first available …), 2 threads (auto: 2 cores, multi-threaded SIMD build)`.
 */
export function describeBackend(report: BackendReport): string {
  const threads = report.wasmThreads
    ? `, ${report.wasmThreads.threads} thread${report.wasmThreads.threads === 1 ? '' : 's'} (${report.wasmThreads.reason})`
    : '';
  return `tfjs backend: ${report.backend}${report.reason ? ` (${report.reason})` : ''}${threads}`;
}

/** Initialise tfjs (best backend available) and print which one was chosen. */
export async function initBackendAndReport(output: CommandOutput): Promise<BackendReport> {
  const report = await initBackend({ quiet: true });
  output.err(describeBackend(report));
  return report;
}
