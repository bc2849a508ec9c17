import { describe, expect, it } from 'vitest';
import type { ResultRecord } from '../results/result-record';
import { summarize } from './summarize';

const base: Omit<ResultRecord, 'unique_id' | 'sample'> = {
  model: 'm',
  subject: 'Algebra',
  level: 1,
  response: 'abcd',
  finish_reason: 'stop',
  correct: false,
  reason: 'mismatch',
  gold: '2',
  predicted: '3',
  response_tokens: null,
  response_chars: 4,
};

describe('summarize', () => {
  it('computes rates, lengths, reasons and the table from graded samples', async () => {
    const records: ResultRecord[] = [
      { ...base, unique_id: 'p', sample: 0, correct: true, reason: 'string-equal', predicted: '2', response_tokens: 10, response_chars: 10 },
      { ...base, unique_id: 'p', sample: 1, finish_reason: 'length', reason: 'truncated', predicted: '2', response_chars: 30 },
      { ...base, unique_id: 'q', sample: 0, subject: 'Geometry', level: 3, reason: 'no-answer', predicted: null, response_tokens: 20 },
      { ...base, unique_id: 'q', sample: 1, subject: 'Geometry', level: 3, correct: true, reason: 'numeric-equal', predicted: '2.0' },
    ];
    const summary = await summarize(records, { model: 'm', equivalence: (a, b) => Number(a) === Number(b), problemsExpected: 2, samplesPerProblem: 2 });
    expect(summary.passAt1.value).toBeCloseTo(0.5, 12);
    expect(summary.passAtK.map((p) => p.value)).toEqual([0.5, 1]);
    // p: sample 1 is truncated → no vote → sample 0 (right) wins; q: sample 0 has no answer → sample 1 (right)
    expect(summary.majorityAtK.map((p) => p.value)).toEqual([0.5, 1]);
    expect(summary.extractionFailureRate).toBe(0.25);
    expect(summary.truncationRate).toBe(0.25);
    expect(summary.meanResponseChars).toBe((10 + 30 + 4 + 4) / 4);
    expect(summary.meanResponseTokens).toBe(15);
    expect(summary.reasons).toMatchObject({ 'string-equal': 1, truncated: 1, 'no-answer': 1, 'numeric-equal': 1, mismatch: 0 });
    expect(summary.table.cells).toEqual({
      Algebra: { '1': { problems: 1, samples: 2, accuracy: 0.5 } },
      Geometry: { '3': { problems: 1, samples: 2, accuracy: 0.5 } },
    });
    expect(summary.table.byLevel['3']).toEqual({ problems: 1, samples: 2, accuracy: 0.5 });
    expect(summary.complete).toBe(true);
    const partial = await summarize(records.slice(0, 3), { model: 'm', equivalence: () => false, problemsExpected: 2, samplesPerProblem: 2 });
    expect(partial.complete).toBe(false);
    expect(partial.passAtK).toHaveLength(1); // q has one sample: k only up to 1
  });
});
