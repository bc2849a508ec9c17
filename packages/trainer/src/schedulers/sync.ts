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
  WeightPublisher,
  WeightSync,
} from '@oreal-ts/core';
import type { RewardValues } from '../grade-rollouts';
import type {
  GradeOutput,
  LossOutput,
  PublicationRecord,
  SampledGroup,
  SampleOutput,
  SelectOutput,
  TrainerPhases,
  UpdateOutput,
  WeighTokensInput,
  WeighTokensOutput,
} from '../phases/index';
import type { TokenizedRollout } from '../tokenize-rollouts';
import { stalenessOf, type StalenessStats } from '../staleness';

/** The components a step's phases work on. */
export interface StepComponents {
  readonly policy: TrainablePolicy;
  readonly reference?: Policy;
  readonly sampler: Sampler;
  readonly verifier: Verifier;
  readonly objective: Objective;
  readonly rewardModel?: TokenRewardModel;
  readonly tokenizer: Tokenizer;
  /** Writes published versions of the policy (absent: nothing is published). */
  readonly publisher?: WeightPublisher;
  /** Brings the inference servers to a published version. */
  readonly weightSync?: WeightSync;
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
  /** The policy version the step starts from (optimiser steps the policy has taken in RL). */
  readonly policyVersion: number;
  /** Publish every N optimiser steps. */
  readonly publishEvery: number;
  /** Cap of truncated importance sampling; absent: off. */
  readonly importanceSamplingCap?: number;
  /** How the token reward model trains (absent: one step on the selected rows, the reference). */
  readonly rewardModelTraining?: { readonly trainOn: 'selected' | 'all'; readonly stepsPerStep: number };
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
  /** Staleness of the trained rollouts against `plan.policyVersion`. */
  readonly staleness: StalenessStats;
  /** Async schedule only: rollouts (and whole groups) dropped for exceeding `maxStaleness`. */
  readonly droppedStale: { readonly rollouts: number; readonly groups: number } | null;
  /** The publication after the update (null when none). */
  readonly publication: PublicationRecord | null;
}

/** Run the sample phase of a plan (the first phase; the async scheduler starts it a step early). */
export function samplePlan(
  phases: TrainerPhases,
  components: StepComponents,
  plan: StepPlan,
): Promise<SampleOutput> {
  return phases.sample({
    sampler: components.sampler,
    tokenizer: components.tokenizer,
    problems: plan.problems,
    options: plan.sampleOptions,
    ...(plan.stop ? { stop: plan.stop } : {}),
  });
}

/**
 * The sync scheduler: runs one step's phases one after the other, on-policy (sample → grade →
 * select → weigh tokens → loss → update → publish), checking every reported number for
 * finiteness in the order the reference loop does. With a weight sync, publish resolves only when
 * every server confirmed the new version, so the next step samples from the weights just trained.
 * The checkpoint phase runs after the step and its evaluation, in the trainer's run loop.
 */
export async function runSyncStep(context: SyncStepContext): Promise<StepOutcome> {
  const start = performance.now();
  const { groups } = await samplePlan(context.phases, context.components, context.plan);
  return trainOnGroups(context, groups, { start, sampled: performance.now() }, null);
}

/**
 * The phases after sampling, shared by both schedulers: grade → select → weigh tokens → loss →
 * update → commit → publish, on the given (possibly staleness-filtered) groups.
 */
export async function trainOnGroups(
  context: SyncStepContext,
  groups: readonly SampledGroup[],
  marks: { readonly start: number; readonly sampled: number },
  droppedStale: StepOutcome['droppedStale'],
): Promise<StepOutcome> {
  const { phases, components, plan, diverge } = context;
  const { start, sampled } = marks;
  const staleness = stalenessOf(groups, plan.policyVersion);
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
      ...rewardModelTrainingOf(plan, graded),
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
        ...(plan.importanceSamplingCap === undefined
          ? {}
          : { importanceSamplingCap: plan.importanceSamplingCap }),
      });
      if (!Number.isFinite(loss.loss)) diverge('loss', loss.loss);
      const badGradient = loss.gradient.flat().find((g) => !Number.isFinite(g));
      if (badGradient !== undefined) diverge('loss gradient', badGradient);
      update = await phases.update({ policy: components.policy });
      // NaN = not reported by the engine (remote APIs); a local model throws on a NaN norm itself.
      if (!Number.isFinite(update.gradNorm) && !Number.isNaN(update.gradNorm))
        diverge('grad norm', update.gradNorm);
    }
  }
  const updated = performance.now();
  context.commit(update !== null);
  const publication =
    (await phases.publish({
      step: plan.step,
      policy: components.policy,
      updated: update !== null,
      version: plan.policyVersion + (update !== null ? 1 : 0),
      ...(components.publisher ? { publisher: components.publisher } : {}),
      ...(components.weightSync ? { weightSync: components.weightSync } : {}),
      every: plan.publishEvery,
    })) ?? null;
  return {
    graded,
    selection,
    weights,
    loss,
    update,
    skipped,
    clock: { start, sampled, graded: gradedAt, updated },
    staleness,
    droppedStale,
    publication,
  };
}

/**
 * The weigh-tokens phase's reward-model fields of a plan: with `trainOn: all`, every non-empty
 * rollout of the step and its label 1[r > 0]; the number of steps when it is not 1.
 */
function rewardModelTrainingOf(
  plan: StepPlan,
  graded: GradeOutput['graded'],
): Pick<WeighTokensInput, 'rewardModelRows' | 'rewardModelSteps'> {
  const training = plan.rewardModelTraining;
  if (!training) return {};
  const out: { rewardModelRows?: WeighTokensInput['rewardModelRows']; rewardModelSteps?: number } = {};
  if (training.stepsPerStep !== 1) out.rewardModelSteps = training.stepsPerStep;
  if (training.trainOn === 'all') {
    const rollouts = graded
      .flatMap((group) => group.rollouts)
      .filter((g) => g.rollout.tokenIds.length > 0);
    out.rewardModelRows = {
      batch: {
        promptIds: rollouts.map((g) => (g.rollout as TokenizedRollout).promptTokenIds),
        responseIds: rollouts.map((g) => g.rollout.tokenIds),
      },
      positive: rollouts.map((g) => g.reward > 0),
    };
  }
  return out;
}
