import type {
  Objective,
  Policy,
  Problem,
  SampleOptions,
  Sampler,
  TokenRewardModel,
  Tokenizer,
  TrainablePolicy,
  Verifier,
} from '@oreal-ts/core';
import type { RewardValues } from '../grade-rollouts';
import type {
  GradeOutput,
  LossOutput,
  SelectOutput,
  TrainerPhases,
  UpdateOutput,
  WeighTokensOutput,
} from '../phases/index';

/** The components a step's phases work on. */
export interface StepComponents {
  readonly policy: TrainablePolicy;
  readonly reference?: Policy;
  readonly sampler: Sampler;
  readonly verifier: Verifier;
  readonly objective: Objective;
  readonly rewardModel?: TokenRewardModel;
  readonly tokenizer: Tokenizer;
}

/** What one step needs besides the components: its problems, seeds and switches. */
export interface StepPlan {
  readonly step: number;
  readonly problems: readonly Problem[];
  readonly sampleOptions: SampleOptions;
  readonly stop?: readonly string[];
  readonly selectSeed: number;
  readonly rewards: RewardValues;
  /** False during the actor-freeze steps. */
  readonly updating: boolean;
}

/** Everything the sync scheduler needs for one step. */
export interface SyncStepContext {
  readonly phases: TrainerPhases;
  readonly components: StepComponents;
  readonly plan: StepPlan;
  /** Stops training on a non-finite quantity (throws `TrainingDivergedError`). */
  readonly diverge: (quantity: string, value: unknown) => never;
  /** Marks the step done (called after the update, before publish). */
  readonly commit: (updated: boolean) => void;
}

/** Wall-clock marks of a step (performance.now() milliseconds). */
export interface StepClock {
  readonly start: number;
  readonly sampled: number;
  readonly graded: number;
  readonly updated: number;
}

/** Every phase's output for one step (what the step's metrics are built from). */
export interface StepOutcome {
  readonly graded: GradeOutput['graded'];
  readonly selection: SelectOutput;
  readonly weights: WeighTokensOutput | null;
  readonly loss: LossOutput | null;
  readonly update: UpdateOutput | null;
  readonly skipped: 'empty-batch' | 'actor-frozen' | null;
  readonly clock: StepClock;
}

/**
 * The sync scheduler: runs one step's phases one after the other, on-policy (sample → grade →
 * select → weigh tokens → loss → update → publish), checking every reported number for
 * finiteness in the order the reference loop does. The checkpoint phase runs after the step and
 * its evaluation, in the trainer's run loop.
 */
export async function runSyncStep(context: SyncStepContext): Promise<StepOutcome> {
  const { phases, components, plan, diverge } = context;
  const start = performance.now();
  const { groups } = await phases.sample({
    sampler: components.sampler,
    tokenizer: components.tokenizer,
    problems: plan.problems,
    options: plan.sampleOptions,
    ...(plan.stop ? { stop: plan.stop } : {}),
  });
  const sampled = performance.now();
  const { graded } = await phases.grade({ verifier: components.verifier, groups, rewards: plan.rewards });
  const gradedAt = performance.now();
  const selection = await phases.select({ objective: components.objective, graded, seed: plan.selectSeed });

  let weights: WeighTokensOutput | null = null;
  let loss: LossOutput | null = null;
  let update: UpdateOutput | null = null;
  let skipped: StepOutcome['skipped'] = null;
  if (selection.rows.length === 0) {
    skipped = 'empty-batch';
  } else {
    weights = await phases.weighTokens({
      objective: components.objective,
      policy: components.policy,
      ...(components.reference ? { reference: components.reference } : {}),
      ...(components.rewardModel ? { rewardModel: components.rewardModel } : {}),
      rows: selection.rows,
      batch: selection.batch,
      positive: selection.positive,
      updating: plan.updating,
    });
    const rm = weights.rewardModelStep;
    if (rm) {
      if (!Number.isFinite(rm.loss)) diverge('reward-model loss', rm.loss);
      if (!Number.isFinite(rm.gradNorm)) diverge('reward-model grad norm', rm.gradNorm);
    }
    if (!plan.updating) {
      skipped = 'actor-frozen';
    } else {
      loss = await phases.loss({
        policy: components.policy,
        objective: components.objective,
        rows: selection.rows,
        batch: selection.batch,
        weights,
      });
      if (!Number.isFinite(loss.loss)) diverge('loss', loss.loss);
      const badGradient = loss.gradient.flat().find((g) => !Number.isFinite(g));
      if (badGradient !== undefined) diverge('loss gradient', badGradient);
      update = await phases.update({ policy: components.policy });
      // NaN = not reported by the engine (remote APIs); a local model throws on a NaN norm itself.
      if (!Number.isFinite(update.gradNorm) && !Number.isNaN(update.gradNorm)) diverge('grad norm', update.gradNorm);
    }
  }
  const updated = performance.now();
  context.commit(update !== null);
  await phases.publish({ step: plan.step, policy: components.policy, updated: update !== null });
  return {
    graded,
    selection,
    weights,
    loss,
    update,
    skipped,
    clock: { start, sampled, graded: gradedAt, updated },
  };
}
