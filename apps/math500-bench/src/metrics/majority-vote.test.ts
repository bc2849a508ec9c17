import { describe, expect, it } from 'vitest';
import { clusterAnswers, majorityAtKCurve, majorityCorrect, type AnswerEquivalence, type VoteSample } from './majority-vote';

/** Hand-made equivalence: the three spellings of one half are one answer; otherwise exact text. */
const half = new Set(['1/2', '0.5', '\\frac{1}{2}']);
const equivalent: AnswerEquivalence = (a, b) => a === b || (half.has(a) && half.has(b));

describe('clusterAnswers', () => {
  it('groups equivalent answers greedily in sample order; null answers get no cluster', async () => {
    const clusters = await clusterAnswers(['1/2', '0.5', '3', ' 3', null, '\\frac{1}{2}', '7'], equivalent);
    expect(clusters).toEqual([0, 0, 1, 1, null, 0, 2]);
  });

  it('calls the equivalence only for new texts', async () => {
    let calls = 0;
    await clusterAnswers(['a', 'a', 'a', 'b', 'b'], (x, y) => {
      calls++;
      return x === y;
    });
    expect(calls).toBe(1); // 'b' against 'a' once; repeats hit the text cache
  });
});

describe('majority vote on a hand-made vote', () => {
  // Gold answer 3. Samples 0..5: ½, 0.5, 3, 3, (no answer), \frac{1}{2}
  const samples: VoteSample[] = [
    { sample: 0, answer: '1/2', correct: false },
    { sample: 1, answer: '0.5', correct: false },
    { sample: 2, answer: '3', correct: true },
    { sample: 3, answer: '3', correct: true },
    { sample: 4, answer: null, correct: false },
    { sample: 5, answer: '\\frac{1}{2}', correct: false },
  ];
  // Gold ½ for a second problem; votes: 3, 3, ½(0.5), ½, ½, 3 → ½ wins at k = 5 (3 vs 2)
  const second: VoteSample[] = [
    { sample: 0, answer: '3', correct: false },
    { sample: 1, answer: '3', correct: false },
    { sample: 2, answer: '0.5', correct: true },
    { sample: 3, answer: '1/2', correct: true },
    { sample: 4, answer: '\\frac{1}{2}', correct: true },
    { sample: 5, answer: '3', correct: false },
  ];

  it('counts votes over the first k samples, ties to the earliest answer', async () => {
    const clusters = await clusterAnswers(samples.map((s) => s.answer), equivalent);
    // k=1: ½ (1 vote) → wrong; k=3: ½ 2 vs 3 1 → wrong; k=4: 2 vs 2 tie → earliest (½) → wrong
    expect([1, 2, 3, 4, 5, 6].map((k) => majorityCorrect(samples, clusters, k))).toEqual([0, 0, 0, 0, 0, 0]);
    const clusters2 = await clusterAnswers(second.map((s) => s.answer), equivalent);
    // k=4: 3 has 2 votes, ½ has 2 → tie → 3 came first → wrong; k=5: ½ 3 votes → right; k=6: 3 vs 3 tie → 3 first → wrong
    expect([1, 2, 3, 4, 5, 6].map((k) => majorityCorrect(second, clusters2, k))).toEqual([0, 0, 0, 0, 1, 0]);
  });

  it('averages over problems for every k, and samples without answers never vote', async () => {
    const curve = await majorityAtKCurve([samples, second], equivalent);
    expect(curve.map((p) => p.value)).toEqual([0, 0, 0, 0, 0.5, 0]);
    const silent: VoteSample[] = [
      { sample: 0, answer: null, correct: false },
      { sample: 1, answer: '3', correct: true },
    ];
    // k = 1: nobody votes → 0; k = 2: the only vote is right
    expect((await majorityAtKCurve([silent], equivalent)).map((p) => p.value)).toEqual([0, 1]);
  });

  it('sorts samples by index before voting', async () => {
    const shuffled = [...second].reverse();
    expect((await majorityAtKCurve([shuffled], equivalent)).map((p) => p.value)).toEqual([0, 0, 0, 0, 1, 0]);
  });
});
