import type { Problem, Verdict, Verifier, VerifierResponse } from '@oreal-ts/core';
import { z } from 'zod';

/** An OpenAI-compatible chat endpoint used as a second opinion. */
export interface JudgeOptions {
  /** Base URL up to the API version, e.g. `http://127.0.0.1:8000/v1`; `/chat/completions` is appended. */
  readonly baseUrl: string;
  readonly model: string;
  /** Sent as `Authorization: Bearer …` when given; never logged or put in verdicts. */
  readonly apiKey?: string;
  /** Per-request time limit (ms). Default 30000. */
  readonly timeoutMs?: number;
  /** Injected fetch (default `globalThis.fetch`). */
  readonly fetch?: typeof fetch;
}

const ChatCompletionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
});

/** The judge prompt (as the reference verifier's): answer "A" when equivalent, "B" otherwise. */
export function judgePrompt(question: string, gold: string, predicted: string): string {
  return [
    'You are a strict grader of maths answers. Decide whether the candidate final answer is mathematically',
    'equivalent to the reference answer for the question. Ignore formatting, units written in words and',
    'the order of a list of solutions when the question asks for all solutions.',
    '',
    `Question: ${question}`,
    `Reference answer: ${gold}`,
    `Candidate answer: ${predicted}`,
    '',
    'Reply with a single letter: A if they are equivalent, B if they are not.',
  ].join('\n');
}

/**
 * Compose a rule verifier with a model judge: the judge is asked (temperature 0) only when the
 * rules did not say correct and an answer was extracted (never for `truncated` / `no-answer`).
 * "A" makes the verdict correct (reason `symbolic-equal`, detail says the judge decided — the
 * contract has no judge reason); "B" keeps the rule verdict; any other reply, HTTP failure or
 * timeout is incorrect with reason `error`. Never throws.
 */
export function withJudge(ruleVerifier: Verifier, judge: JudgeOptions): Verifier {
  const url = `${judge.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const timeoutMs = judge.timeoutMs ?? 30_000;

  async function askJudge(problem: Problem, verdict: Verdict): Promise<Verdict> {
    const fetchImplementation = judge.fetch ?? globalThis.fetch;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await fetchImplementation(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(judge.apiKey ? { authorization: `Bearer ${judge.apiKey}` } : {}) },
        body: JSON.stringify({
          model: judge.model,
          temperature: 0,
          max_tokens: 4,
          messages: [{ role: 'user', content: judgePrompt(problem.question, problem.answer, verdict.predicted ?? '') }],
        }),
        signal: controller.signal,
      });
      if (!response.ok) return { ...verdict, correct: false, reason: 'error', detail: `${verdict.detail ?? ''}; judge ${url} answered HTTP ${response.status}` };
      const parsed = ChatCompletionSchema.safeParse(await response.json());
      if (!parsed.success) return { ...verdict, correct: false, reason: 'error', detail: `${verdict.detail ?? ''}; judge ${url} returned an unexpected body` };
      const reply = (parsed.data.choices[0]?.message.content ?? '').trim().replace(/^[^A-Za-z]*/, '');
      const letter = reply.charAt(0).toUpperCase();
      if (letter === 'A') return { ...verdict, correct: true, reason: 'symbolic-equal', detail: `${verdict.detail ?? ''}; rules said ${verdict.reason}, model judge '${judge.model}' said A (equivalent)` };
      if (letter === 'B') return { ...verdict, correct: false, detail: `${verdict.detail ?? ''}; model judge '${judge.model}' said B (not equivalent)` };
      return { ...verdict, correct: false, reason: 'error', detail: `${verdict.detail ?? ''}; judge replied '${reply.slice(0, 40)}', neither A nor B` };
    } catch (error) {
      const why = controller.signal.aborted ? `timed out after ${timeoutMs} ms` : error instanceof Error ? error.message : String(error);
      return { ...verdict, correct: false, reason: 'error', detail: `${verdict.detail ?? ''}; judge ${url} failed: ${why}` };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    specificationVersion: 'v1',
    id: `${ruleVerifier.id}+judge:${judge.model}`,
    async verify(problem: Problem, response: string | VerifierResponse): Promise<Verdict> {
      let verdict: Verdict;
      try {
        verdict = await ruleVerifier.verify(problem, response);
      } catch (error) {
        return { correct: false, reason: 'error', gold: problem.answer, predicted: null, detail: `rule verifier threw: ${error instanceof Error ? error.message : String(error)}` };
      }
      if (verdict.correct || verdict.reason === 'truncated' || verdict.reason === 'no-answer' || verdict.predicted === null) return verdict;
      return askJudge(problem, verdict);
    },
  };
}
