import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ablationBandPoints, ablationStatsTable, formatMeanCi } from './ablation-report';
import { aggregateArms, meanWithCi95, type SeedArmResult, type SeedResult } from './ablation-stats';
import { bandChartSpec, writeChart } from './plot';

const noRm = { heldOutAccuracy: null, heldOutAuc: null, creditOnFirstWrong: null, creditAtOrAfterFirstWrong: null };

function arm(variant: string, final: number, heldOutAccuracy: number | null): SeedArmResult {
  return {
    variant,
    label: variant === 'oreal' ? 'OREAL' : 'REINFORCE',
    finalGreedyPassAt1: final,
    evals: [
      { step: 0, rollouts: 0, greedyPassAt1: 0.5 },
      { step: 2, rollouts: 32, greedyPassAt1: final },
    ],
    stepPassRates: [
      { step: 1, passRate: 0.5 },
      { step: 2, passRate: final },
    ],
    rewardModel: { ...noRm, heldOutAccuracy },
  };
}

const seeds: SeedResult[] = [0.6, 0.8].map((final, i) => ({
  seed: i + 1,
  trainerSeed: i + 1,
  sftGreedyPassAt1: 0.5,
  backend: 'wasm',
  heldOutProblems: 8,
  arms: [arm('reinforce', final, null), arm('oreal', final + 0.1, 0.7)],
}));

describe('ablation report', () => {
  it('formats mean ± half-width, the mean alone for one seed, n/a for none', () => {
    expect(formatMeanCi(meanWithCi95([0.5, 0.7]), 100)).toMatch(/^60\.0 ± \d+\.\d$/);
    expect(formatMeanCi(meanWithCi95([0.5]), 100)).toBe('50.0');
    expect(formatMeanCi(meanWithCi95([]))).toBe('n/a');
  });

  it('the table has one row per arm and RM columns only for diagnostics some arm logged', () => {
    const { header, rows } = ablationStatsTable(aggregateArms(seeds, 0.65));
    expect(header).toContain('RM held-out acc');
    expect(header).not.toContain('RM held-out AUC');
    expect(rows.map((r) => r[0])).toEqual(['REINFORCE', 'OREAL']);
    expect(rows[0]?.[4]).toBe('1/2'); // REINFORCE reaches 0.65 in seed 2 only
    expect(rows[1]?.[4]).toBe('2/2');
    expect(rows[0]?.[header.indexOf('RM held-out acc')]).toBe('n/a');
  });

  it('band points: per arm and panel, the mean with the min–max over seeds; a band chart renders', async () => {
    const points = ablationBandPoints(seeds);
    const last = points.find((p) => p.series === 'REINFORCE' && p.panel.startsWith('held-out') && p.x === 2);
    expect(last).toMatchObject({ lo: 60, hi: 80 });
    expect(last?.mean).toBeCloseTo(70, 9);
    const dir = await mkdtemp(join(tmpdir(), 'oreal-band-'));
    try {
      const files = await writeChart(bandChartSpec('bands', points), join(dir, 'band'));
      const svg = await readFile(files.svg, 'utf8');
      expect(svg).toContain('REINFORCE');
      expect(svg).toContain('rollout pass rate (%)');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
