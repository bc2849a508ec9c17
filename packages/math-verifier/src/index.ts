/**
 * @oreal-ts/math-verifier — the reward: extract a final answer from a model response, normalise
 * it, and decide equivalence with an explained verdict. Pure (no Node-only imports), so it also
 * runs in a browser; the worker-thread pool with hard time limits is `@oreal-ts/math-verifier/pool`.
 */
export { createMathVerifier, type MathVerifier, type MathVerifierOptions, type VerdictExplanation } from './create-math-verifier';
export { extractAnswer, type AnswerSource, type ExtractedAnswer, type ExtractOptions } from './extract-answer';
export { canonicalUnit, normalizeAnswer, normalizeAnswerDetailed, type NormalizedAnswer } from './normalize-answer';
export { compareAnswers, type AnswerComparison, type CompareOptions } from './compare-answers';
export type { SymbolicBackend } from './compare-scalars';
export { loadComputeEngine, type ComputeEngineOptions } from './compute-engine';
export { withJudge, type JudgeOptions } from './with-judge';
export { LIMITS } from './limits';
