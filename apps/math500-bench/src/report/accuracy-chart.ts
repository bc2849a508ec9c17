import type { BenchmarkSummary } from '../metrics/summarize';

/** A rendered chart: SVG text and PNG bytes. */
export interface RenderedChart {
  readonly svg: string;
  readonly png: Uint8Array;
}

/**
 * The vega-lite spec of the accuracy chart: two bar panels, pass@1 by level and by subject, each bar
 * labelled with its value; the overall pass@1 is in the title.
 */
export function accuracyChartSpec(summary: BenchmarkSummary): Record<string, unknown> {
  const { table } = summary;
  const byLevel = table.levels.map((level) => ({
    group: level === 0 ? 'unknown' : `Level ${level}`,
    accuracy: table.byLevel[String(level)]?.accuracy ?? 0,
    problems: table.byLevel[String(level)]?.problems ?? 0,
  }));
  const bySubject = table.subjects.map((subject) => ({
    group: subject,
    accuracy: table.bySubject[subject]?.accuracy ?? 0,
    problems: table.bySubject[subject]?.problems ?? 0,
  }));
  const panel = (title: string, values: typeof byLevel, color: string) => ({
    title,
    width: 260,
    height: 200,
    data: { values },
    encoding: {
      x: { field: 'group', type: 'nominal', sort: null, title: null, axis: { labelAngle: -35 } },
      y: { field: 'accuracy', type: 'quantitative', title: 'pass@1', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
    },
    layer: [
      { mark: { type: 'bar', color } },
      { mark: { type: 'text', dy: -6, fontSize: 10 }, encoding: { text: { field: 'accuracy', type: 'quantitative', format: '.1%' } } },
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `MATH-500 — ${summary.model}`,
      subtitle: `pass@1 ${(summary.passAt1.value * 100).toFixed(1)}% (95% CI ${(summary.passAt1.lower * 100).toFixed(1)}–${(summary.passAt1.upper * 100).toFixed(1)}), ${summary.problems} problems × ${summary.samplesPerProblem ?? '?'} samples`,
    },
    background: 'white',
    config: { font: 'DejaVu Sans' },
    hconcat: [panel('by level', byLevel, '#4c78a8'), panel('by subject', bySubject, '#f58518')],
  };
}

/** Render the accuracy chart to SVG (vega-lite → vega, headless) and PNG (resvg, 2× scale). */
export async function renderAccuracyChart(summary: BenchmarkSummary): Promise<RenderedChart> {
  const [{ compile }, vega, { Resvg }] = await Promise.all([import('vega-lite'), import('vega'), import('@resvg/resvg-js')]);
  const compiled = compile(accuracyChartSpec(summary) as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } })
    .render()
    .asPng();
  return { svg, png: new Uint8Array(png) };
}
