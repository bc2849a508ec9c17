import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '@oreal-ts/core/node';
import type { BenchmarkSummary } from '../metrics/summarize';
import type { RunSettings } from '../run/run-settings';
import { renderAccuracyChart } from './accuracy-chart';
import { markdownReport } from './markdown-report';

/** Paths of the files a run writes into its output folder. */
export interface OutputFiles {
  readonly results: string;
  readonly settings: string;
  readonly summary: string;
  readonly report: string;
  readonly chartSvg: string;
  readonly chartPng: string;
}

/** The output file paths inside `outDir`. */
export function outputFiles(outDir: string): OutputFiles {
  return {
    results: join(outDir, 'results.jsonl'),
    settings: join(outDir, 'run.json'),
    summary: join(outDir, 'summary.json'),
    report: join(outDir, 'report.md'),
    chartSvg: join(outDir, 'accuracy.svg'),
    chartPng: join(outDir, 'accuracy.png'),
  };
}

/**
 * Write `summary.json` (summary + settings), `report.md` and the accuracy chart (`accuracy.svg`,
 * `accuracy.png`), each atomically. A chart that fails to render is reported through `log` and skipped:
 * the numbers matter more than the picture.
 */
export async function writeOutputs(
  outDir: string,
  summary: BenchmarkSummary,
  settings: RunSettings,
  log: (message: string) => void = () => undefined,
): Promise<OutputFiles> {
  const files = outputFiles(outDir);
  await writeJsonAtomic(files.summary, { ...summary, settings, createdAt: new Date().toISOString() });
  let chartOk = false;
  if (summary.samples > 0) {
    try {
      const chart = await renderAccuracyChart(summary);
      await writeFileAtomic(files.chartSvg, chart.svg);
      await writeFileAtomic(files.chartPng, chart.png);
      chartOk = true;
    } catch (error) {
      log(`warning: could not render the accuracy chart: ${(error as Error).message}`);
    }
  }
  await writeFileAtomic(files.report, markdownReport(summary, settings, chartOk ? { chartFile: 'accuracy.png' } : {}));
  return files;
}
