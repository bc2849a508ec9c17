import { readFile, appendFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Problem, Sampler } from '@oreal-ts/core';
import { createFakeSampler, createFakeVerifier } from '@oreal-ts/core/testing';
import { temporaryDir } from '../../test/helpers';
import { loadResults } from '../results/results-file';
import { runBenchmark, type RunBenchmarkOptions } from './run-benchmark';
import type { RunSettings } from './run-settings';

const problems: Problem[] = Array.from({ length: 6 }, (_, i) => ({
  id: `test/algebra/${i}.json`,
  question: `What is ${i} + ${i}?`,
  answer: String(2 * i),
  subject: i % 2 ? 'Algebra' : 'Geometry',
  level: 1 + (i % 3),
}));

const settings = (n: number): RunSettings => ({
  mode: 'sample',
  model: 'fake',
  source: 'endpoint:completions',
  data: 'inline',
  template: 'plain',
  n,
  temperature: 1,
  topP: 1,
  maxTokens: 64,
  seed: 7,
  problems: problems.length,
});

/** Problems 0, 2, 4 are always answered right, 1, 3, 5 always wrong (the harness asks one sample per call). */
const respond = (problem: Problem) => (Number(problem.answer) % 4 === 0 ? `so \\boxed{${problem.answer}}` : 'so \\boxed{-1}');

function options(outDir: string, sampler: Sampler, extra: Partial<RunBenchmarkOptions> = {}): RunBenchmarkOptions {
  return {
    problems,
    sampler,
    verifier: createFakeVerifier(),
    equivalence: (a, b) => a === b,
    outDir,
    settings: settings(4),
    sampling: { temperature: 1, topP: 1, maxNewTokens: 64 },
    concurrency: 3,
    log: () => undefined,
    ...extra,
  };
}

async function keys(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { unique_id: string; sample: number })
    .map((r) => `${r.unique_id}#${r.sample}`)
    .sort();
}

const allKeys = problems.flatMap((p) => [0, 1, 2, 3].map((s) => `${p.id}#${s}`)).sort();

describe('runBenchmark', () => {
  it('samples K per problem, grades, appends results and writes the summary, report and chart', async () => {
    const outDir = await temporaryDir();
    const sampler = createFakeSampler(respond);
    const result = await runBenchmark(options(outDir, sampler));
    expect(result.graded).toBe(24);
    expect(await keys(result.files.results)).toEqual(allKeys);
    expect(result.summary.passAt1.value).toBeCloseTo(0.5, 12);
    expect(result.summary.passAtK.map((p) => p.value)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(result.summary.majorityAtK.map((p) => p.value)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(result.summary.table.bySubject).toMatchObject({ Geometry: { accuracy: 1, problems: 3 }, Algebra: { accuracy: 0, problems: 3 } });
    expect(result.summary.complete).toBe(true);
    const summary = JSON.parse(await readFile(result.files.summary, 'utf8')) as { settings: RunSettings; samples: number };
    expect(summary).toMatchObject({ samples: 24, settings: { model: 'fake', n: 4 } });
    expect(await readFile(result.files.report, 'utf8')).toMatch(/\*\*pass@1 = 50\.0%\*\*/);
    expect((await readFile(result.files.chartSvg, 'utf8')).startsWith('<svg')).toBe(true);
    expect([...(await readFile(result.files.chartPng)).subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
    // one call per (problem, sample) with a seed derived from (seed, problem, sample)
    const seeds = sampler.calls.map((c) => (c.args[1] as { seed: number; n: number }).seed);
    expect(new Set(seeds).size).toBe(24);
    expect(sampler.calls.every((c) => (c.args[1] as { n: number }).n === 1)).toBe(true);
  });

  it('refuses to overwrite results without --resume, and a resume with other settings', async () => {
    const outDir = await temporaryDir();
    await runBenchmark(options(outDir, createFakeSampler(respond)));
    await expect(runBenchmark(options(outDir, createFakeSampler(respond)))).rejects.toThrow(/--resume/);
    await expect(
      runBenchmark(options(outDir, createFakeSampler(respond), { resume: true, settings: { ...settings(4), temperature: 0.5 } })),
    ).rejects.toMatchObject({ code: 'CONFIG', path: 'temperature' });
  });

  it('killed midway (abort) and resumed, with a failing sampler and a torn line: each (problem, sample) exactly once', async () => {
    const outDir = await temporaryDir();
    const controller = new AbortController();
    const inner = createFakeSampler(respond);
    let calls = 0;
    const flaky: Sampler = {
      specificationVersion: 'v1',
      id: 'flaky',
      async sample(batch, sampleOptions) {
        calls++;
        if (calls === 9) controller.abort(new Error('killed'));
        if (calls % 4 === 0) throw new Error('HTTP 500 from a flaky server');
        await new Promise((r) => setTimeout(r, 1));
        return inner.sample(batch, sampleOptions);
      },
    };
    await expect(runBenchmark(options(outDir, flaky, { signal: controller.signal }))).rejects.toThrow('killed');
    const file = `${outDir}/results.jsonl`;
    const partial = await keys(file);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(24);
    await appendFile(file, '{"unique_id":"test/alge'); // a write torn by the kill

    let logs: string[] = [];
    const resumed = await runBenchmark(options(outDir, flaky, { resume: true, log: (m) => logs.push(m) }));
    expect(resumed.skipped).toBe(partial.length);
    expect(logs.join('\n')).toMatch(/torn last line/);
    expect(resumed.failed).toBeGreaterThan(0); // the flaky sampler keeps failing every 4th call
    expect(resumed.summary.complete).toBe(false);
    for (let round = 0; round < 10 && (await loadResults(file)).records.length < 24; round++) {
      logs = [];
      await runBenchmark(options(outDir, flaky, { resume: true, log: (m) => logs.push(m) }));
    }
    expect(await keys(file)).toEqual(allKeys);
    const final = await runBenchmark(options(outDir, createFakeSampler(respond), { resume: true }));
    expect(final.graded).toBe(0);
    expect(final.skipped).toBe(24);
    expect(final.summary.complete).toBe(true);
    expect(final.summary.passAt1.value).toBeCloseTo(0.5, 12);
  });

  it('records failed rollouts as failures, not results; batches problems and samples per call when asked', async () => {
    const outDir = await temporaryDir();
    const inner = createFakeSampler(respond);
    const erroring: Sampler = {
      specificationVersion: 'v1',
      id: 'erroring',
      async sample(batch, sampleOptions) {
        const groups = await inner.sample(batch, sampleOptions);
        return groups.map((g) => ({ ...g, rollouts: g.rollouts.map((r, i) => (i === 1 ? { ...r, finishReason: 'error' as const, error: 'boom' } : r)) }));
      },
    };
    const result = await runBenchmark(options(outDir, erroring, { samplesPerCall: 4, problemsPerCall: 3 }));
    expect(result.failed).toBe(6);
    expect(result.graded).toBe(18);
    expect(inner.calls.map((c) => (c.args[0] as Problem[]).map((p) => p.id))).toEqual([
      problems.slice(0, 3).map((p) => p.id),
      problems.slice(3, 6).map((p) => p.id),
    ]);
    expect(inner.calls.every((c) => (c.args[1] as { n: number }).n === 4)).toBe(true);
    expect(result.summary.complete).toBe(false);
    expect(await readFile(result.files.report, 'utf8')).toMatch(/Incomplete run/);
    // resuming asks only for the failed sample 1 of every problem, six problems in two calls
    const resumed = await runBenchmark(options(outDir, inner, { samplesPerCall: 4, problemsPerCall: 3, resume: true }));
    expect(resumed.graded).toBe(6);
    expect(inner.calls.slice(2).map((c) => [(c.args[0] as Problem[]).length, (c.args[1] as { n: number }).n])).toEqual([
      [3, 1],
      [3, 1],
    ]);
    expect(resumed.summary.complete).toBe(true);
  });
});
