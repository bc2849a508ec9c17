import { describe, expect, it } from 'vitest';
import { createMathVerifier } from '../src/index';
import { RESPONSE_CASES } from './response-cases';

const verifier = createMathVerifier({ useComputeEngine: false });

describe('issue-13 response table (gold vs full response, extraction included)', () => {
  it('has at least 400 pairs, with equal and near-miss rows in each of the 13 forms', () => {
    expect(RESPONSE_CASES.length).toBeGreaterThanOrEqual(400);
    const forms = new Map<string, { equal: number; unequal: number }>();
    for (const c of RESPONSE_CASES) {
      const counts = forms.get(c.form) ?? { equal: 0, unequal: 0 };
      if (c.equal) counts.equal++;
      else counts.unequal++;
      forms.set(c.form, counts);
    }
    expect(forms.size).toBe(13);
    for (const [form, counts] of forms) {
      expect(counts.equal, `${form} has equal rows`).toBeGreaterThan(0);
      expect(counts.unequal, `${form} has near-miss rows`).toBeGreaterThan(0);
    }
  });

  it('has no false positive: every near miss is judged incorrect', async () => {
    const falsePositives: string[] = [];
    for (const c of RESPONSE_CASES.filter((row) => !row.equal)) {
      const explanation = await verifier.explain({ id: c.form, question: '', answer: c.gold }, c.response);
      if (explanation.verdict.correct) falsePositives.push(`${c.form}: ${c.gold} | ${c.response} → ${explanation.verdict.detail}`);
    }
    expect(falsePositives).toEqual([]);
  });

  it.each(RESPONSE_CASES.map((c) => [c.form, c.gold, c.response, c.equal] as const))('%s: %s vs %s → %s', async (form, gold, response, equal) => {
    const explanation = await verifier.explain({ id: form, question: '', answer: gold }, response);
    expect(explanation.verdict.correct, explanation.verdict.detail).toBe(equal);
    // explain() always names the extraction and the comparison rule.
    expect(explanation.extractionRule).not.toBe('');
    expect(explanation.comparisonRule).not.toBe('');
    if (equal) expect(explanation.comparisonRule).not.toMatch(/^(no-answer|error|truncated)$/);
  });
});
