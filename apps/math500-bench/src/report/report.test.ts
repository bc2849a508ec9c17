import { describe, expect, it } from 'vitest';
import { summarize } from '../metrics/summarize';
import type { ResultRecord } from '../results/result-record';
import type { RunSettings } from '../run/run-settings';
import { accuracyChartSpec, renderAccuracyChart } from './accuracy-chart';
import { markdownReport, reportedKs } from './markdown-report';

const records: ResultRecord[] = ['Algebra', 'Geometry'].flatMap((subject, i) =>
  [0, 1, 2].map((sample) => ({
    unique_id: `${subject}/${i}`,
    sample,
    model: 'tiny',
    subject,
    level: i + 1,
    response: 'x',
    finish_reason: 'stop' as const,
    correct: subject === 'Algebra' || sample === 0,
    reason: 'string-equal' as const,
    gold: '1',
    predicted: '1',
    response_tokens: null,
    response_chars: 1,
  })),
);
const settings: RunSettings = {
  mode: 'sample', model: 'tiny', source: 'endpoint:chat', data: 'd', template: 'qwen-boxed', n: 3, temperature: 0.6, topP: 0.95, maxTokens: 100, seed: 0, problems: 2,
};

describe('report', () => {
  it('lists the settings, the headline with its interval, pass@k and maj@k, and the subject × level table', async () => {
    const summary = await summarize(records, { model: 'tiny', equivalence: (a, b) => a === b, problemsExpected: 2, samplesPerProblem: 3 });
    const report = markdownReport(summary, settings, { chartFile: 'accuracy.png' });
    expect(report).toContain('# MATH-500 — tiny');
    expect(report).toContain('| template | `qwen-boxed` |');
    expect(report).toMatch(/\*\*pass@1 = 66\.7%\*\* \(95% CI /); // (1 + 1/3) / 2
    expect(report).toContain('| metric | k = 1 | k = 2 | k = 3 |');
    expect(report).toMatch(/\| Algebra \| 100\.0 \| — \| 100\.0 \| 1 \|/);
    expect(report).toMatch(/\| Geometry \| — \| 33\.3 \| 33\.3 \| 1 \|/);
    expect(report).toContain('![pass@1 by level and subject](accuracy.png)');
    expect(reportedKs(16)).toEqual([1, 2, 4, 8, 16]);
    expect(reportedKs(6)).toEqual([1, 2, 4, 6]);
  });

  it('renders the chart to SVG and PNG with one bar per level and subject', async () => {
    const summary = await summarize(records, { model: 'tiny', equivalence: (a, b) => a === b, problemsExpected: 2, samplesPerProblem: 3 });
    const spec = accuracyChartSpec(summary) as { hconcat: { data: { values: { group: string }[] } }[] };
    expect(spec.hconcat.map((panel) => panel.data.values.map((v) => v.group))).toEqual([
      ['Level 1', 'Level 2'],
      ['Algebra', 'Geometry'],
    ]);
    const chart = await renderAccuracyChart(summary);
    expect(chart.svg).toMatch(/^<svg/);
    expect(chart.svg).toContain('Geometry');
    expect(chart.svg).toContain('33.3%');
    expect(Buffer.from(chart.png.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
  });
});
