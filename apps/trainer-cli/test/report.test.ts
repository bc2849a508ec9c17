import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { learningCurvePoints } from '../src/report/learning-curve';
import { barChartSpec, lineChartSpec, writeChart } from '../src/report/plot';
import { createProgressReporter } from '../src/report/progress';
import { formatMarkdownTable, formatTable, percent } from '../src/report/table';
import { temporaryDirs } from './support/temporary-dirs';

const tempDir = temporaryDirs();

describe('plots', () => {
  it('write an SVG and a PNG of a line chart and a bar chart', async () => {
    const dir = await tempDir('oreal-plot-');
    const line = await writeChart(
      lineChartSpec('curve', [
        { x: 1, y: 10, series: 'a', panel: 'pass' },
        { x: 2, y: 30, series: 'a', panel: 'pass' },
        { x: 1, y: 0.5, series: 'loss', panel: 'loss' },
      ]),
      join(dir, 'curve'),
    );
    const svg = await readFile(line.svg, 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('curve');
    const png = await readFile(line.png);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const bars = await writeChart(
      barChartSpec('bars', [{ label: 'OREAL', value: 41 }], 'pass@1'),
      join(dir, 'bars'),
    );
    expect(await readFile(bars.svg, 'utf8')).toContain('OREAL');
  });

  it('learning-curve points come from step and eval lines, as percentages where they are rates', () => {
    const points = learningCurvePoints([
      { type: 'eval', step: 0, greedyPassAt1: 0.25, sampledPassAt1: null },
      { type: 'step', step: 1, passRate: 0.5, loss: 0.1, kl: 0.01, rewardModel: { accuracy: 0.75 } },
      { type: 'step', step: 2, passRate: 0.625, loss: null, kl: null, rewardModel: null },
    ]);
    expect(points).toContainEqual({ x: 0, y: 25, series: 'held-out greedy pass@1', panel: 'pass rate (%)' });
    expect(points).toContainEqual({ x: 2, y: 62.5, series: 'rollout pass rate', panel: 'pass rate (%)' });
    expect(points).toContainEqual({
      x: 1,
      y: 0.75,
      series: 'token-RM accuracy',
      panel: 'KL and token-RM accuracy',
    });
    expect(points.filter((p) => p.series === 'loss')).toHaveLength(1);
  });

  it('plot the token reward model\'s held-out accuracy, AUC and credit when recorded', () => {
    const points = learningCurvePoints([
      {
        type: 'step',
        step: 3,
        rewardModel: {
          accuracy: 0.5,
          heldOut: { accuracy: 0.8, auc: 0.9, credit: { onFirstWrong: 0.6, atOrAfterFirstWrong: 0.9, uniformOnFirstWrong: 0.04 } },
          credit: null,
        },
      },
    ]);
    const panel = 'token-RM credit (% of ω⁻ mass)';
    expect(points).toContainEqual({ x: 3, y: 0.8, series: 'accuracy', panel: 'token RM on held-out rollouts' });
    expect(points).toContainEqual({ x: 3, y: 0.9, series: 'AUC', panel: 'token RM on held-out rollouts' });
    expect(points).toContainEqual({ x: 3, y: 60, series: 'ω⁻ on first wrong token (held-out)', panel });
    expect(points).toContainEqual({ x: 3, y: 4, series: 'uniform on first wrong token', panel });
    expect(points.filter((p) => p.series === 'ω⁻ on first wrong token (trained batch)')).toHaveLength(0);
  });
});

describe('tables', () => {
  it('align text left and numbers right under a rule', () => {
    const text = formatTable(
      ['variant', 'pass@1'],
      [
        ['SFT', 12.5],
        ['OREAL', 40],
      ],
    );
    expect(text.split('\n')).toEqual([
      'variant  pass@1',
      '-------  ------',
      'SFT        12.5',
      'OREAL        40',
    ]);
    expect(formatMarkdownTable(['a', 'b'], [['x', 1]])).toBe('| a | b |\n|---|---|\n| x | 1 |');
    expect(percent(0.4125)).toBe(41.3);
  });
});

describe('progress', () => {
  it('plain mode prints a line at most every interval and at the end of a phase', () => {
    const lines: string[] = [];
    let now = 0;
    const stream = {
      isTTY: false,
      write: (text: string) => lines.push(text),
    } as unknown as NodeJS.WriteStream;
    const progress = createProgressReporter({ mode: 'auto', intervalSeconds: 10, stream, now: () => now });
    progress.start('rl', 4);
    now = 5_000;
    progress.update(1, { pass: '50%' });
    expect(lines).toHaveLength(0);
    now = 12_000;
    progress.update(2, { pass: '60%' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[rl\] 2\/4 · 12s elapsed · eta 12s · pass 60%\n$/);
    now = 14_000;
    progress.update(3);
    expect(lines).toHaveLength(1);
    progress.stop();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^\[rl\] 3\/4 /);
    // No repeated line when the last update was already printed.
    progress.start('eval', 1);
    now = 30_000;
    progress.update(1);
    progress.stop();
    expect(lines).toHaveLength(3);
  });
});
