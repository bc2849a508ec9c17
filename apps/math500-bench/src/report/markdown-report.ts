import type { BenchmarkSummary } from '../metrics/summarize';
import type { RunSettings } from '../run/run-settings';

const percent = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}`;

/** The k values shown in the report: powers of two up to K, and K itself. */
export function reportedKs(maxK: number): number[] {
  const ks: number[] = [];
  for (let k = 1; k <= maxK; k *= 2) ks.push(k);
  if (ks[ks.length - 1] !== maxK && maxK > 0) ks.push(maxK);
  return ks;
}

/** The markdown report: settings, headline metrics, pass@k / maj@k, subject × level table, rates, chart. */
export function markdownReport(summary: BenchmarkSummary, settings: RunSettings, options: { chartFile?: string } = {}): string {
  const lines: string[] = [];
  const { passAt1, table } = summary;
  lines.push(`# MATH-500 — ${summary.model}`, '');
  if (!summary.complete) {
    lines.push(
      `> **Incomplete run**: ${summary.samples} of ${(summary.problemsExpected ?? 0) * (summary.samplesPerProblem ?? 0)} samples graded. Rerun with \`--resume\` to finish.`,
      '',
    );
  }
  lines.push('| setting | value |', '| --- | --- |');
  const setting = (name: string, value: unknown) => lines.push(`| ${name} | ${value === null || value === undefined ? '—' : `\`${String(value)}\``} |`);
  setting('mode', settings.mode);
  setting('source', settings.source);
  setting('data', settings.data);
  setting('template', settings.template);
  setting('samples per problem (K)', settings.n);
  setting('temperature', settings.temperature);
  setting('top-p', settings.topP);
  setting('max new tokens', settings.maxTokens);
  setting('seed', settings.seed);
  lines.push('');
  lines.push(
    `**pass@1 = ${percent(passAt1.value)}%** (95% CI ${percent(passAt1.lower)}–${percent(passAt1.upper)}, normal approximation over ${passAt1.problems} problems; standard error ${percent(passAt1.standardError, 2)} points)`,
    '',
  );
  const ks = reportedKs(summary.passAtK.length);
  if (ks.length > 0) {
    lines.push(`| metric | ${ks.map((k) => `k = ${k}`).join(' | ')} |`, `| --- | ${ks.map(() => '---:').join(' | ')} |`);
    const at = (curve: { k: number; value: number }[], k: number) => percent(curve[k - 1]?.value ?? 0);
    lines.push(`| pass@k (unbiased) | ${ks.map((k) => at(summary.passAtK, k)).join(' | ')} |`);
    lines.push(`| maj@k (first k samples) | ${ks.map((k) => at(summary.majorityAtK, k)).join(' | ')} |`, '');
  }
  lines.push('## pass@1 by subject and level (%)', '');
  const levelName = (level: number) => (level === 0 ? 'L?' : `L${level}`);
  lines.push(
    `| subject | ${table.levels.map(levelName).join(' | ')} | all | problems |`,
    `| --- | ${table.levels.map(() => '---:').join(' | ')} | ---: | ---: |`,
  );
  for (const subject of table.subjects) {
    const row = table.cells[subject] ?? {};
    const cells = table.levels.map((level) => {
      const c = row[String(level)];
      return c ? percent(c.accuracy) : '—';
    });
    lines.push(`| ${subject} | ${cells.join(' | ')} | ${percent(table.bySubject[subject]?.accuracy ?? 0)} | ${table.bySubject[subject]?.problems ?? 0} |`);
  }
  lines.push(
    `| **all** | ${table.levels.map((level) => `**${percent(table.byLevel[String(level)]?.accuracy ?? 0)}**`).join(' | ')} | **${percent(table.total.accuracy)}** | ${table.total.problems} |`,
    `| problems | ${table.levels.map((level) => table.byLevel[String(level)]?.problems ?? 0).join(' | ')} | ${table.total.problems} | |`,
    '',
  );
  lines.push('## Responses', '', '| quantity | value |', '| --- | ---: |');
  lines.push(`| graded samples | ${summary.samples} |`);
  lines.push(`| extraction failures (finished, no final answer) | ${percent(summary.extractionFailureRate)}% |`);
  lines.push(`| truncated (hit max tokens) | ${percent(summary.truncationRate)}% |`);
  lines.push(`| mean response length | ${summary.meanResponseChars.toFixed(0)} chars${summary.meanResponseTokens === null ? '' : `, ${summary.meanResponseTokens.toFixed(1)} tokens`} |`);
  lines.push('');
  const reasons = Object.entries(summary.reasons).filter(([, count]) => count > 0);
  lines.push('Verdict reasons: ' + reasons.map(([reason, count]) => `${reason} ${count}`).join(', '), '');
  if (options.chartFile) lines.push(`![pass@1 by level and subject](${options.chartFile})`, '');
  lines.push(
    '<sub>pass@k: unbiased estimator 1 − C(n−c,k)/C(n,k) (Chen et al. 2021). maj@k: majority vote over the first k samples, answers clustered by the verifier\'s equivalence, ties to the earliest answer; truncated and answerless samples do not vote.</sub>',
    '',
  );
  return lines.join('\n');
}
