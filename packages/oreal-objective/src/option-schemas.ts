import { z } from 'zod';

/** Non-negative finite number with a default. */
export const nonNegative = (defaultValue: number) => z.number().finite().min(0).default(defaultValue);

/** Zod schema of `AdvantageEstimator`. */
export const AdvantageEstimatorSchema = z.enum(['rloo', 'grpo', 'mean-baseline']);
/** Zod schema of `GroupFilter`. */
export const GroupFilterSchema = z.enum(['one-correct-one-incorrect', 'keep-all', 'positives-only']);
/** Zod schema of `LossAggregation`. */
export const LossAggregationSchema = z.enum(['sequence-sum', 'token-mean', 'sequence-mean', 'constant']);
