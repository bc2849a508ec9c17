import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '@oreal-ts/core/node';

/** One point of a line chart in long form: `panel` picks the sub-chart, `series` the line. */
export interface ChartPoint {
  readonly x: number;
  readonly y: number;
  readonly series: string;
  readonly panel: string;
}

/** One bar of a bar chart. */
export interface ChartBar {
  readonly label: string;
  readonly value: number;
  readonly group?: string;
}

/** Paths of a rendered chart. */
export interface ChartFiles {
  readonly svg: string;
  readonly png: string;
}

/** Render a vega-lite spec to SVG text (headless, no browser). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Convert SVG text to PNG bytes with resvg (white background, system fonts). */
export function svgToPng(svg: string): Uint8Array {
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: 2 },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

/** Write `<base>.svg` and `<base>.png` for a spec. */
export async function writeChart(spec: TopLevelSpec, base: string): Promise<ChartFiles> {
  const svg = await renderSvg(spec);
  const files = { svg: `${base}.svg`, png: `${base}.png` };
  await writeFileAtomic(files.svg, svg);
  await writeFileAtomic(files.png, svgToPng(svg));
  return files;
}

/**
 * A stack of line charts sharing the x axis, one per `panel` (each with its own y scale), one
 * coloured line per `series`. Used for learning curves (pass rates, losses, KL over steps).
 */
export function lineChartSpec(
  title: string,
  points: readonly ChartPoint[],
  xTitle = 'RL step',
): TopLevelSpec {
  const panels = [...new Set(points.map((p) => p.panel))];
  const xs = points.map((p) => p.x);
  const domain = xs.length > 0 ? [Math.min(0, ...xs), Math.max(1, ...xs)] : [0, 1];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: points.map((p) => ({ ...p })) },
    vconcat: panels.map((panel) => ({
      width: 520,
      height: 160,
      title: panel,
      transform: [{ filter: { field: 'panel', equal: panel } }],
      mark: { type: 'line', point: points.filter((p) => p.panel === panel).length < 60 },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: xTitle, scale: { domain } },
        y: { field: 'y', type: 'quantitative', title: null },
        color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 320 } },
      },
    })),
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
}

/** A horizontal bar chart of `value` per `label` (coloured by `group` when given), values labelled. */
export function barChartSpec(title: string, bars: readonly ChartBar[], valueTitle: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 440,
    data: { values: bars.map((b) => ({ ...b, group: b.group ?? b.label })) },
    encoding: {
      y: { field: 'label', type: 'nominal', sort: null, title: null },
      x: { field: 'value', type: 'quantitative', title: valueTitle },
    },
    layer: [
      { mark: 'bar', encoding: { color: { field: 'group', type: 'nominal', legend: null } } },
      {
        mark: { type: 'text', align: 'left', dx: 4 },
        encoding: { text: { field: 'value', type: 'quantitative', format: '.1f' } },
      },
    ],
  } as TopLevelSpec;
}

/** One point of a band chart: the line at `mean`, the shaded band from `lo` to `hi`. */
export interface BandChartPoint {
  readonly x: number;
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
  readonly series: string;
  readonly panel: string;
}

/**
 * Like `lineChartSpec`, with a shaded band per line: one sub-chart per `panel`, per `series` a
 * line through `mean` over a translucent area from `lo` to `hi` (e.g. the min and max over seeds).
 */
export function bandChartSpec(
  title: string,
  points: readonly BandChartPoint[],
  xTitle = 'RL step',
): TopLevelSpec {
  const panels = [...new Set(points.map((p) => p.panel))];
  const xs = points.map((p) => p.x);
  const domain = xs.length > 0 ? [Math.min(0, ...xs), Math.max(1, ...xs)] : [0, 1];
  const x = { field: 'x', type: 'quantitative', title: xTitle, scale: { domain } };
  const color = { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 320 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: points.map((p) => ({ ...p })) },
    vconcat: panels.map((panel) => ({
      width: 520,
      height: 180,
      title: panel,
      transform: [{ filter: { field: 'panel', equal: panel } }],
      layer: [
        {
          mark: { type: 'area', opacity: 0.18 },
          encoding: { x, y: { field: 'lo', type: 'quantitative', title: null }, y2: { field: 'hi' }, color },
        },
        {
          mark: { type: 'line', point: points.filter((p) => p.panel === panel).length < 60 },
          encoding: { x, y: { field: 'mean', type: 'quantitative', title: null }, color },
        },
      ],
    })),
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
}
