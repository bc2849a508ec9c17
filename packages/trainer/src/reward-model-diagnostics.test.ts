import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { summariseNegativeMass, type Tokenizer } from '@oreal-ts/core';
import { createFakeTokenRewardModel } from '@oreal-ts/core/testing';
import {
  creditShares,
  firstWrongToken,
  heldOutDiagnostics,
  lowestScoreOnFirstWrong,
  sequenceLogits,
  withinProblemAuc,
  tokenIndexOfChar,
} from './reward-model-diagnostics';
import { firstDepartureMarker } from './tasks/first-departure';

/** A tokenizer whose tokens decode to strings of 0–3 characters (id 0 decodes to nothing, like an EOS). */
const pieces = ['', 'a', 'bc', 'def', '=', '12', ';'];
const pieceTokenizer: Tokenizer = {
  specificationVersion: 'v1',
  id: 'test/pieces',
  vocabSize: pieces.length,
  eosTokenId: 0,
  encode: () => {
    throw new Error('not used');
  },
  decode: (ids) => ids.map((id) => pieces[id] ?? '?').join(''),
};

describe('tokenIndexOfChar', () => {
  it('finds the token that holds a character, for tokens of any length', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: pieces.length - 1 }), { minLength: 1, maxLength: 20 }),
        fc.nat({ max: 60 }),
        (ids, charIndex) => {
          const text = pieceTokenizer.decode(ids);
          const t = tokenIndexOfChar(pieceTokenizer, ids, charIndex);
          expect(t).toBeGreaterThanOrEqual(0);
          expect(t).toBeLessThan(ids.length);
          if (charIndex >= text.length) {
            expect(t).toBe(ids.length - 1);
          } else {
            expect(pieceTokenizer.decode(ids.slice(0, t)).length).toBeLessThanOrEqual(charIndex);
            expect(pieceTokenizer.decode(ids.slice(0, t + 1)).length).toBeGreaterThan(charIndex);
          }
        },
      ),
    );
  });

  it('refuses an empty response and a negative index', () => {
    expect(() => tokenIndexOfChar(pieceTokenizer, [], 0)).toThrow(/tokenIds/);
    expect(() => tokenIndexOfChar(pieceTokenizer, [1], -1)).toThrow(/charIndex/);
  });
});

describe('firstWrongToken', () => {
  it('maps the first departure from the worked solution to its token', () => {
    const problem = { id: 'p', question: 'q', answer: '12', solution: 'abc=12;' };
    // 'a' 'bc' '=' 'def' … : the text 'abc=def' departs at character 4, held by token 3 ('def').
    expect(firstWrongToken(firstDepartureMarker, pieceTokenizer, problem, [1, 2, 4, 3, 0])).toBe(3);
    // the exact solution (then the EOS) carries no wrong token
    expect(firstWrongToken(firstDepartureMarker, pieceTokenizer, problem, [1, 2, 4, 5, 6, 0])).toBeNull();
    // a response that stops early: the departure is the missing text, marked on the last token
    expect(firstWrongToken(firstDepartureMarker, pieceTokenizer, problem, [1, 2, 0])).toBe(2);
    expect(firstWrongToken(firstDepartureMarker, pieceTokenizer, { ...problem, solution: undefined }, [1])).toBeNull();
  });
});

describe('creditShares', () => {
  it('averages the shares over marked negatives only, as summariseNegativeMass does', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            weights: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }),
            positive: fc.boolean(),
            marker: fc.option(fc.nat({ max: 10 }), { nil: null }),
          }),
          { maxLength: 8 },
        ),
        (rows) => {
          const result = creditShares(
            rows.map((r) => r.weights),
            rows.map((r) => r.positive),
            rows.map((r) => r.marker),
          );
          const kept = rows.filter((r) => !r.positive && r.marker !== null);
          const expected =
            kept.length === 0
              ? null
              : summariseNegativeMass(
                  kept.map((r) => r.weights),
                  kept.map((r) => Math.min(r.marker as number, r.weights.length - 1)),
                );
          if (expected === null) {
            expect(result).toBeNull();
            return;
          }
          expect(result?.onFirstWrong).toBeCloseTo(expected.onMarker, 12);
          expect(result?.atOrAfterFirstWrong).toBeCloseTo(expected.atOrAfterMarker, 12);
          expect(result?.uniformOnFirstWrong).toBeCloseTo(expected.uniformOnMarker, 12);
          expect(result?.rollouts).toBe(expected.rollouts);
          expect(result?.withoutMass).toBe(expected.withoutMass);
        },
      ),
    );
  });

  it('puts all the credit on the marker when only it carries ω⁻', () => {
    const shares = creditShares([[0, 0, 1, 0], [1, 1, 1, 1]], [false, true], [2, 0]);
    expect(shares).toMatchObject({ onFirstWrong: 1, atOrAfterFirstWrong: 1, uniformOnFirstWrong: 0.25, rollouts: 1 });
  });
});

describe('heldOutDiagnostics', () => {
  it('scores the held-out rows by their mean token score', async () => {
    const scored = createFakeTokenRewardModel();
    // Fake scores are 0 everywhere: every logit is 0, read as "wrong", so negatives count as right.
    const result = await heldOutDiagnostics(scored, {
      batch: { promptIds: [[1], [1], [1]], responseIds: [[1, 2], [3], [4, 5, 6]] },
      positive: [true, false, false],
      markers: [null, 0, 2],
    });
    expect(result.rollouts).toBe(3);
    expect(result.positives).toBe(1);
    expect(result.accuracy).toBeCloseTo(2 / 3, 12);
    expect(result.auc).toBe(0.5); // all ties
    // ω ≡ 1 from the fake: the credit equals the uniform spread
    expect(result.credit?.onFirstWrong).toBeCloseTo(result.credit?.uniformOnFirstWrong as number, 12);
  });

  it('reports nothing for an empty set', async () => {
    const result = await heldOutDiagnostics(createFakeTokenRewardModel(), {
      batch: { promptIds: [], responseIds: [] },
      positive: [],
      markers: [],
    });
    expect(result).toEqual({
      rollouts: 0,
      positives: 0,
      accuracy: null,
      auc: null,
      withinProblemAuc: null,
      withinProblemPairs: 0,
      credit: null,
      lowestScore: null,
    });
  });

  it('lowest-score localisation counts marked negatives whose minimum is at the marker', () => {
    const result = lowestScoreOnFirstWrong(
      [[0, -2, 1], [0, 0, -1, 0], [-5, 0], [3, -9]],
      [false, false, false, true],
      [1, 1, null, 1],
    );
    expect(result).toEqual({ onFirstWrong: 0.5, uniform: (1 / 3 + 1 / 4) / 2, rollouts: 2 });
    expect(lowestScoreOnFirstWrong([[1]], [true], [null])).toBeNull();
  });

  it('within-problem AUC compares right and wrong rollouts of the same problem only', () => {
    // problem A: right 2 > wrong 1; problem B: right −1 < wrong 0. Across problems everything
    // right of A beats everything of B, but the within-problem AUC is ½.
    expect(withinProblemAuc([2, 1, -1, 0], [true, false, true, false], ['A', 'A', 'B', 'B'])).toEqual({ auc: 0.5, pairs: 2 });
    expect(withinProblemAuc([1, 1], [true, false], ['A', 'A'])).toEqual({ auc: 0.5, pairs: 1 });
    expect(withinProblemAuc([1, 2], [true, false], ['A', 'B'])).toBeNull();
  });

  it('a prompt-only scorer has a high plain AUC and a within-problem AUC of ½', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ hardness: fc.double({ min: -3, max: 3, noNaN: true }), labels: fc.array(fc.boolean(), { minLength: 2, maxLength: 6 }) }), { minLength: 1, maxLength: 6 }),
        (problems) => {
          const logits: number[] = [];
          const labels: boolean[] = [];
          const ids: string[] = [];
          problems.forEach((p, i) =>
            p.labels.forEach((label) => {
              logits.push(p.hardness);
              labels.push(label);
              ids.push(`p${i}`);
            }),
          );
          const within = withinProblemAuc(logits, labels, ids);
          if (within) expect(within.auc).toBe(0.5);
        },
      ),
    );
  });

  it('sequence logits are row means', () => {
    expect(sequenceLogits([[1, 3], [-2], []])).toEqual([2, -2, 0]);
  });
});
