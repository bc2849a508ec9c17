import {
  CheckpointError,
  ConfigError,
  InvalidArgumentError,
  SeededRng,
  TrainingDivergedError,
  assertSpecificationVersion,
  hashString,
  toJsonl,
  type Objective,
  type Policy,
  type Problem,
  type Sampler,
  type TokenRewardModel,
  type Tokenizer,
  type TrainablePolicy,
  type Verifier,
  type WeightPublisher,
  type WeightSync,
} from '@oreal-ts/core';
import { writeFileAtomic } from '@oreal-ts/core/node';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  checkpointName,
  pruneCheckpoints,
  readTrainerState,
  resolveLatestCheckpoint,
  writeCheckpoint,
  type TrainerState,
} from './checkpoint-store';
import { parseTrainerConfig, type TrainerConfig, type TrainerConfigInput } from './config';
import { DataCursor, type DataCursorState } from './data-cursor';
import { evaluatePassAt1 } from './evaluate';
import type { GradedGroup } from './grade-rollouts';
import type { EvalMetrics, StepMetrics } from './metrics';
import {
  publishWeights,
  resolvePhases,
  type PublicationReason,
  type PublicationRecord,
  type SampleOutput,
  type TrainerPhases,
} from './phases/index';
import { runAsyncStep } from './schedulers/async';
import { runSyncStep, samplePlan, type StepComponents, type StepOutcome, type StepPlan } from './schedulers/sync';
import {
  creditShares,
  firstWrongToken,
  heldOutDiagnostics,
  type CreditMarker,
  type HeldOutRollouts,
} from './reward-model-diagnostics';
import { heldOutRolloutsOf, readHeldOut, REWARD_MODEL_HELD_OUT_FILE, sampleHeldOut, writeHeldOut } from './reward-model-heldout';
import { buildStepMetrics, formatStepLine, type RewardModelDiagnostics } from './step-metrics';
import { trajectoryRecords } from './trajectory-records';

/** Callbacks for progress reporting (a CLI's progress bar, plots, logs). Errors they throw stop the run. */
export interface TrainerHooks {
  /** After every step, with the line written to metrics.jsonl. */
  onStep?(metrics: StepMetrics): void | Promise<void>;
  /** After every evaluation. */
  onEval?(metrics: EvalMetrics): void | Promise<void>;
  /** Plain, human-readable progress lines (every `logEvery` steps, checkpoints, warnings). */
  onLog?(line: string): void;
  /** After a checkpoint is written. */
  onCheckpoint?(path: string, reason: string): void | Promise<void>;
}

/** Everything a trainer is built from. Every role comes in through its core contract. */
export interface CreateTrainerOptions {
  /** The policy π_θ being trained. */
  readonly policy: TrainablePolicy;
  /** The frozen reference policy (the initial policy); required when the objective needs reference log-probs. */
  readonly reference?: Policy;
  /** Draws the K rollouts of each problem (usually sampling from `policy`). */
  readonly sampler: Sampler;
  readonly verifier: Verifier;
  readonly objective: Objective;
  /** OREAL's token-level reward model; without it token weights are ω ≡ 1. */
  readonly tokenRewardModel?: TokenRewardModel;
  /** Tokenises rollouts that come back without token ids (remote samplers); supplies the default stop token. */
  readonly tokenizer: Tokenizer;
  /** Training problems. */
  readonly problems: readonly Problem[];
  /** Held-out problems for pass@1 evaluations. */
  readonly evalProblems?: readonly Problem[];
  /** Configuration (validated here; missing fields take their defaults). */
  readonly config: TrainerConfigInput;
  /** Folder of metrics.jsonl, trajectories/ and checkpoints/. */
  readonly runDir: string;
  readonly hooks?: TrainerHooks;
  /**
   * Replace phases of the step (sample, grade, select, weighTokens, loss, update, publish,
   * checkpoint); the others keep their built-in behaviour. The sync scheduler still checks every
   * reported loss and gradient norm for finiteness, so a replaced phase cannot hide a divergence.
   */
  readonly phases?: Partial<TrainerPhases>;
  /**
   * Publishes the policy's weights as versioned folders (issue 14): before the first step (and
   * after a resume), after every `config.weightSync.every` optimiser steps, and before an
   * evaluation when the servers are behind. Each publication is a line of `<runDir>/weights.jsonl`.
   * Absent: nothing is published (local sampling reads the policy directly).
   */
  readonly publisher?: WeightPublisher;
  /** Has the inference servers load each published version (needs `publisher`). */
  readonly weightSync?: WeightSync;
  /**
   * Where a wrong response first goes wrong (a character index into its text), for the token
   * reward model's credit diagnostics; the built-in task families pass `firstDepartureMarker`.
   * Absent: the diagnostics report accuracy and AUC only.
   */
  readonly creditMarker?: CreditMarker;
}

/** Best held-out greedy pass@1 so far. */
export interface BestEval {
  readonly step: number;
  readonly greedyPassAt1: number;
}

/** A read-only view of where training stands. */
export interface TrainerStateView {
  /** Steps completed. */
  readonly step: number;
  readonly cursor: DataCursorState;
  readonly policyUpdates: number;
  readonly best: BestEval | null;
  readonly lastEvalStep: number | null;
  /** Folder of the last checkpoint written or resumed from. */
  readonly lastCheckpoint: string | null;
  /** True once a non-finite loss or gradient stopped training. */
  readonly diverged: boolean;
}

/** What `run()` did. */
export interface TrainResult {
  /** Steps completed in total (including those before a resume). */
  readonly steps: number;
  readonly stoppedBy: 'completed' | 'aborted';
  readonly lastStep: StepMetrics | null;
  readonly lastEval: EvalMetrics | null;
  readonly best: BestEval | null;
  /** The last checkpoint written (null when none). */
  readonly checkpoint: string | null;
  readonly metricsFile: string;
}

/** The OREAL training loop over injected components. */
export interface Trainer {
  readonly config: TrainerConfig;
  readonly runDir: string;
  /** `runDir/metrics.jsonl`. */
  readonly metricsFile: string;
  /** Folder holding the checkpoints. */
  readonly checkpointRoot: string;
  readonly state: TrainerStateView;
  /**
   * Train until `config.steps` steps are done: an evaluation at step 0 (fresh runs, `evalAtStart`),
   * then steps with periodic evaluations and checkpoints, a final evaluation and checkpoint.
   * Aborting `signal` stops between steps (and saves a checkpoint when `checkpoint.onAbort`).
   */
  run(options?: { signal?: AbortSignal }): Promise<TrainResult>;
  /** One RL step (no evaluation or checkpoint). */
  step(): Promise<StepMetrics>;
  /** Evaluate on `evalProblems` now, record the line and update the best checkpoint. */
  evaluate(): Promise<EvalMetrics>;
  /**
   * Write a checkpoint of the current state (waits for a step in progress to finish). Refused
   * with `TrainingDivergedError` after a divergence, so the last good checkpoint stays the latest.
   */
  saveCheckpoint(reason?: string): Promise<string>;
  /** Restore policy, reward model, RNG, data cursor, best metric and metrics.jsonl from a checkpoint (default: the latest). */
  resume(checkpointDir?: string): Promise<void>;
}

/** Name of the metrics file inside the run folder. */
export const METRICS_FILE = 'metrics.jsonl';
/** Name of the trajectory folder inside the run folder. */
export const TRAJECTORY_FOLDER = 'trajectories';
/** Name of the publication log inside the run folder. */
export const WEIGHTS_LOG_FILE = 'weights.jsonl';

/**
 * Build a trainer. Validates the config (`ConfigError` naming field, value and fix) and the
 * components (contract version, a reference when the objective needs one, vocabulary and budget sizes).
 */
export function createTrainer(options: CreateTrainerOptions): Trainer {
  const config = parseTrainerConfig(options.config);
  const { policy, reference, sampler, verifier, objective, tokenizer } = options;
  const rewardModel = options.tokenRewardModel;
  for (const component of [policy, sampler, verifier, objective, tokenizer, reference, rewardModel]) {
    if (component) assertSpecificationVersion(component);
  }
  if (options.problems.length === 0) {
    throw new ConfigError('problems', 'is empty (got 0 problems); pass at least one training problem');
  }
  if (objective.requires.referenceLogProbs && !reference) {
    throw new ConfigError(
      'reference',
      `objective '${objective.id}' needs reference log-probs (its KL term) but no reference policy was given; pass the frozen initial policy as 'reference'`,
    );
  }
  if (config.sampling.maxNewTokens >= policy.maxSequenceLength) {
    throw new ConfigError(
      'sampling.maxNewTokens',
      `is ${config.sampling.maxNewTokens} but the policy '${policy.id}' accepts at most ${policy.maxSequenceLength} tokens in all; lower it below the context minus the prompt length`,
    );
  }
  if (tokenizer.vocabSize > policy.vocabSize) {
    throw new ConfigError(
      'tokenizer',
      `has ${tokenizer.vocabSize} token ids but the policy '${policy.id}' only ${policy.vocabSize}; use the policy's own tokenizer`,
    );
  }

  if (options.weightSync && !options.publisher) {
    throw new ConfigError(
      'weightSync',
      'was given without a publisher: the servers can only load versions a publisher wrote; pass `publisher` too',
    );
  }
  const { publisher, weightSync, creditMarker } = options;
  if (rewardModel && config.rewardModel.heldOutProblems > 0 && (options.evalProblems ?? []).length === 0) {
    throw new ConfigError(
      'rewardModel.heldOutProblems',
      `is ${config.rewardModel.heldOutProblems} but no evalProblems were given; the held-out reward-model set is sampled on evaluation problems — pass evalProblems or set it to 0`,
    );
  }
  const runDir = resolve(options.runDir);
  const weightsLogFile = join(runDir, WEIGHTS_LOG_FILE);
  const metricsFile = join(runDir, METRICS_FILE);
  const checkpointRoot = resolve(runDir, config.checkpoint.dir);
  const hooks = options.hooks ?? {};
  const phases = resolvePhases(options.phases);
  const problems = options.problems;
  const evalProblems = options.evalProblems ?? [];
  const problemsFingerprint = String(hashString(problems.map((p) => p.id).join('\n')));
  const stopTokenIds =
    config.sampling.stopTokenIds ?? (tokenizer.eosTokenId === undefined ? undefined : [tokenizer.eosTokenId]);
  const evalSeed = hashString(`oreal-ts/eval:${config.seed}`);
  const startedAt = performance.now();

  // Mutable training state (everything a checkpoint holds besides the models).
  let step = 0;
  let rng = new SeededRng(hashString(`oreal-ts/trainer:${config.seed}`));
  let cursor = new DataCursor(problems.length, config.seed, config.shuffle);
  let best: BestEval | null = null;
  let lastEvalStep: number | null = null;
  let policyUpdates = 0;
  let metricsLines = 0;
  let metricsReady = false;
  let lastCheckpoint: string | null = null;
  let lastCheckpointStep: number | null = null;
  let diverged = false;
  let running = false;
  // Weight publication: the version the servers hold (as far as this trainer published), whether
  // the next publication follows a resume, and whether weights.jsonl was started by this run.
  let fleetVersion: number | undefined;
  let resumedSincePublication = false;
  let weightsLogReady = false;
  // Async schedule: the next step's plan and its sample phase, started while a step trains.
  let prefetch: Prefetch | null = null;
  // The reward model's held-out set (sampled once, kept in the run folder).
  let heldOut: HeldOutRollouts | null = null;
  const heldOutFile = join(runDir, REWARD_MODEL_HELD_OUT_FILE);

  let chain: Promise<unknown> = Promise.resolve();
  /** Run `task` after every earlier public call has finished (steps, saves and resumes never interleave). */
  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const result = chain.then(task, task);
    chain = result.catch(() => undefined);
    return result;
  };

  const log = (line: string): void => hooks.onLog?.(line);

  const writeMetricsLine = async (record: StepMetrics | EvalMetrics): Promise<void> => {
    await mkdir(runDir, { recursive: true });
    if (!metricsReady) {
      // A fresh run starts a new metrics file; a resumed one has it restored by resume().
      await writeFile(metricsFile, '');
      metricsReady = true;
    }
    await appendFile(metricsFile, JSON.stringify(record) + '\n');
    metricsLines++;
  };

  const diverge = (quantity: string, value: unknown): never => {
    diverged = true;
    policy.clearGradients();
    throw new TrainingDivergedError(
      step + 1,
      quantity,
      `is ${String(value)}: training stopped and nothing was saved; the last good checkpoint is ${lastCheckpoint ?? '(none yet)'}. Lower the learning rate, check the objective's inputs in the trajectory dumps, then resume from that checkpoint`,
    );
  };

  const components: StepComponents = {
    policy,
    sampler,
    verifier,
    objective,
    tokenizer,
    ...(reference ? { reference } : {}),
    ...(rewardModel ? { rewardModel } : {}),
    ...(publisher ? { publisher } : {}),
    ...(weightSync ? { weightSync } : {}),
  };

  /**
   * Draw a step's plan (B problems, its sampling and selection seeds) from the given cursor and
   * RNG states, on copies: the trainer's own state only moves when the step commits, so a failed,
   * aborted or merely prefetched step never advances the saved data cursor.
   */
  const drawPlan = (stepNumber: number, from: DrawState): DrawnPlan => {
    const drawCursor = new DataCursor(problems.length, config.seed, config.shuffle, from.cursor);
    const drawRng = SeededRng.fromState(from.rng);
    const batchProblems = drawCursor.next(config.batchProblems).map((index) => problems[index] as Problem);
    const sampleSeed = drawRng.nextUint32();
    const selectSeed = drawRng.nextUint32();
    const plan: StepPlan = {
      step: stepNumber,
      problems: batchProblems,
      sampleOptions: {
        n: config.rolloutsPerProblem,
        temperature: config.sampling.temperature,
        topP: config.sampling.topP,
        topK: config.sampling.topK,
        maxNewTokens: config.sampling.maxNewTokens,
        ...(config.sampling.stop ? { stop: config.sampling.stop } : {}),
        ...(stopTokenIds ? { stopTokenIds } : {}),
        seed: sampleSeed,
      },
      ...(config.sampling.stop ? { stop: config.sampling.stop } : {}),
      selectSeed,
      rewards: { correct: config.rewardCorrect, incorrect: config.rewardIncorrect },
      updating: stepNumber > config.actorFreezeSteps,
      // Filled in when the step runs (a prefetched plan is drawn before the previous step commits).
      policyVersion: -1,
      publishEvery: config.weightSync.every,
      ...(config.importanceSampling ? { importanceSamplingCap: config.importanceSampling.cap } : {}),
      rewardModelTraining: { trainOn: config.rewardModel.trainOn, stepsPerStep: config.rewardModel.stepsPerStep },
    };
    return {
      plan,
      from: stateKey(from),
      after: { cursor: drawCursor.state, rng: drawRng.getState() },
      epoch: drawCursor.state.epoch,
    };
  };

  const committedState = (): DrawState => ({ cursor: cursor.state, rng: rng.getState() });

  const appendPublication = async (record: PublicationRecord): Promise<void> => {
    await mkdir(runDir, { recursive: true });
    if (!weightsLogReady) {
      // A fresh run starts a new log; after a resume the log goes on (it records every publication).
      if (!resumedSincePublication) await writeFile(weightsLogFile, '');
      weightsLogReady = true;
    }
    await appendFile(weightsLogFile, JSON.stringify(record) + '\n');
    fleetVersion = record.version;
    log(
      `published policy v${record.version} (${record.reason}${record.reused ? ', reused' : ''}` +
        `${record.discarded ? `; removed v${record.discarded.join(', v')}, published by the steps after the checkpoint` : ''})` +
        (weightSync
          ? `: ${record.confirmed.length} server(s) confirmed${record.failed.length ? `, ${record.failed.length} failed` : ''}`
          : ''),
    );
    for (const failure of record.failed)
      log(
        `warning: ${failure.baseUrl} failed to load policy v${record.version} and left the pool: ${failure.reason}`,
      );
  };

  /**
   * Bring the servers to the policy's current version when they are not there: before the first
   * step or evaluation of a run ('start'), after a resume ('resume', reusing the newest folder on
   * disk when it is that version) and before an evaluation that follows skipped publications ('eval').
   */
  const publishCurrent = async (purpose: 'step' | 'eval'): Promise<void> => {
    if (!publisher) return;
    if (fleetVersion === policyUpdates) return;
    if (fleetVersion !== undefined && purpose === 'step') return; // between publications (every > 1)
    const reason: PublicationReason =
      fleetVersion !== undefined ? 'eval' : resumedSincePublication ? 'resume' : 'start';
    const record = await publishWeights({
      publisher,
      ...(weightSync ? { weightSync } : {}),
      version: policyUpdates,
      step,
      reason,
      reuseLatest: reason === 'resume',
    });
    await appendPublication(record);
  };

  /** Wait for a prefetched sample that will not be trained; its error (if any) is only logged. */
  const discardPrefetch = async (why: string): Promise<void> => {
    const pending = prefetch;
    prefetch = null;
    if (!pending) return;
    try {
      await pending.sample;
    } catch (error) {
      log(
        `warning: the prefetched rollouts of step ${pending.drawn.plan.step} were discarded (${why}); their sampling had failed: ${(error as Error).message}`,
      );
    }
  };

  const stepUnlocked = async (): Promise<StepMetrics> => {
    if (diverged) diverge('state', 'non-finite after an earlier step');
    const stepNumber = step + 1;
    try {
      return await runStep(stepNumber);
    } catch (error) {
      // Nothing was committed (the cursor and RNG only move on commit), so a retried step draws
      // the same batch; a prefetch started by the failed step is not for the retry.
      if (prefetch && prefetch.drawn.plan.step !== stepNumber)
        await discardPrefetch('the step before it failed');
      throw error;
    }
  };

  /**
   * The held-out reward-model set: read from the run folder, or sampled now from the current
   * policy (the starting policy in a fresh run) on the first evaluation problems and saved.
   */
  const ensureHeldOut = async (): Promise<void> => {
    if (heldOut || !rewardModel || config.rewardModel.heldOutProblems === 0) return;
    let file = await readHeldOut(heldOutFile);
    if (!file) {
      if (step > 0)
        log(`warning: ${heldOutFile} is missing; sampling the reward model's held-out set from the policy at step ${step}`);
      const started = performance.now();
      file = await sampleHeldOut({
        phases,
        sampler,
        verifier,
        tokenizer,
        problems: evalProblems.slice(0, config.rewardModel.heldOutProblems),
        options: {
          n: config.rewardModel.heldOutRolloutsPerProblem,
          temperature: config.sampling.temperature,
          topP: config.sampling.topP,
          topK: config.sampling.topK,
          maxNewTokens: config.sampling.maxNewTokens,
          ...(config.sampling.stop ? { stop: config.sampling.stop } : {}),
          ...(stopTokenIds ? { stopTokenIds } : {}),
          seed: hashString(`oreal-ts/reward-model-heldout:${config.seed}`),
        },
        ...(config.sampling.stop ? { stop: config.sampling.stop } : {}),
        rewards: { correct: config.rewardCorrect, incorrect: config.rewardIncorrect },
        ...(creditMarker ? { marker: creditMarker } : {}),
        sampledAfterStep: step,
      });
      await mkdir(runDir, { recursive: true });
      await writeHeldOut(heldOutFile, file);
      const positives = file.rows.filter((r) => r.positive).length;
      log(
        `reward-model held-out set: ${file.rows.length} rollouts (${positives} correct) in ${((performance.now() - started) / 1000).toFixed(1)} s → ${heldOutFile}`,
      );
    }
    heldOut = heldOutRolloutsOf(file);
  };

  /** The reward model's diagnostics after a step (null when off for this step). */
  const rewardModelDiagnostics = async (
    stepNumber: number,
    outcome: StepOutcome,
  ): Promise<RewardModelDiagnostics | null> => {
    if (!rewardModel || (!creditMarker && config.rewardModel.heldOutProblems === 0)) return null;
    if (stepNumber % config.rewardModel.diagnosticsEvery !== 0 && stepNumber !== config.steps) return null;
    const weights = outcome.weights?.tokenWeights;
    let credit = null;
    if (creditMarker && weights) {
      const rows = outcome.selection.rows;
      const markers = rows.map((row) =>
        row.graded.correct
          ? null
          : firstWrongToken(
              creditMarker,
              tokenizer,
              (outcome.graded[row.choice.groupIndex] as GradedGroup).problem,
              row.rollout.tokenIds,
            ),
      );
      credit = creditShares(weights, outcome.selection.positive, markers);
    }
    const heldOutResult = heldOut ? await heldOutDiagnostics(rewardModel, heldOut) : null;
    return { credit, heldOut: heldOutResult };
  };

  const runStep = async (stepNumber: number): Promise<StepMetrics> => {
    await publishCurrent('step');
    await ensureHeldOut();
    const version = policyUpdates;
    // This step's plan: the prefetched one when it was drawn from the state committed now.
    let prefetched: Promise<SampleOutput> | undefined;
    let drawn: DrawnPlan;
    const key = stateKey(committedState());
    if (prefetch && prefetch.drawn.plan.step === stepNumber && prefetch.drawn.from === key) {
      drawn = prefetch.drawn;
      prefetched = prefetch.sample;
      prefetch = null;
    } else {
      if (prefetch) await discardPrefetch('the trainer state changed since it was drawn');
      drawn = drawPlan(stepNumber, committedState());
    }
    const plan: StepPlan = { ...drawn.plan, policyVersion: version };
    const context = {
      phases,
      components,
      plan,
      diverge,
      commit: (updated: boolean) => {
        if (updated) policyUpdates++;
        cursor = new DataCursor(problems.length, config.seed, config.shuffle, drawn.after.cursor);
        rng = SeededRng.fromState(drawn.after.rng);
        step = stepNumber;
      },
    };
    const outcome =
      config.weightSync.schedule === 'async'
        ? await runAsyncStep({
            ...context,
            maxStaleness: config.weightSync.maxStaleness,
            ...(prefetched ? { prefetched } : {}),
            prefetchNext: () => {
              if (stepNumber + 1 > config.steps) return;
              const next = drawPlan(stepNumber + 1, drawn.after);
              const sample = samplePlan(phases, components, { ...next.plan, policyVersion: version });
              sample.catch(() => undefined); // surfaced when the next step awaits it
              prefetch = { drawn: next, sample };
            },
          })
        : await runSyncStep(context);
    if (outcome.publication) await appendPublication(outcome.publication);
    const metrics = buildStepMetrics({
      step: stepNumber,
      epoch: drawn.epoch,
      problems: drawn.plan.problems.length,
      outcome,
      startedAt,
      reportStaleness: weightSync !== undefined,
      rewardModelDiagnostics: await rewardModelDiagnostics(stepNumber, outcome),
    });
    const graded = outcome.graded;
    const rows = outcome.selection.rows;
    const tokenWeights = outcome.weights?.tokenWeights;
    const skipped = outcome.skipped;
    await writeMetricsLine(metrics);
    if (config.trajectoryDumpEvery > 0 && stepNumber % config.trajectoryDumpEvery === 0) {
      await dumpTrajectories(
        stepNumber,
        graded,
        rows.map((row) => row.choice),
        tokenWeights,
      );
    }
    if (config.logEvery > 0 && stepNumber % config.logEvery === 0) log(formatStepLine(metrics, config.steps));
    if (skipped === 'empty-batch')
      log(`step ${stepNumber}: every problem's rollouts were all right or all wrong; no update this step`);
    await hooks.onStep?.(metrics);
    return metrics;
  };

  const dumpTrajectories = async (
    stepNumber: number,
    graded: readonly GradedGroup[],
    chosen: readonly { groupIndex: number; rolloutIndex: number; advantage: number }[],
    weights: number[][] | undefined,
  ): Promise<void> => {
    await writeFileAtomic(
      join(runDir, TRAJECTORY_FOLDER, `${checkpointName(stepNumber)}.jsonl`),
      toJsonl(trajectoryRecords(stepNumber, graded, chosen, weights)),
    );
  };

  const evaluateUnlocked = async (): Promise<EvalMetrics> => {
    if (evalProblems.length === 0) {
      throw new ConfigError('evalProblems', 'is empty; pass held-out problems to createTrainer to evaluate');
    }
    await publishCurrent('eval'); // the held-out rollouts come from the weights being evaluated
    const result = await evaluatePassAt1({
      sampler,
      verifier,
      problems: evalProblems,
      sampling: {
        temperature: config.sampling.temperature,
        topP: config.sampling.topP,
        topK: config.sampling.topK,
        maxNewTokens: config.evalMaxNewTokens ?? config.sampling.maxNewTokens,
        ...(config.sampling.stop ? { stop: config.sampling.stop } : {}),
        ...(stopTokenIds ? { stopTokenIds } : {}),
      },
      seed: evalSeed,
      sampled: config.evalSampled,
      samplesPerProblem: config.evalSamplesPerProblem,
      step,
    });
    lastEvalStep = step;
    await writeMetricsLine(result);
    log(
      `eval @ step ${step}: greedy pass@1 ${(result.greedyPassAt1 * 100).toFixed(1)}%` +
        (result.sampledPassAt1 === null
          ? ''
          : `, sampled pass@1 ${(result.sampledPassAt1 * 100).toFixed(1)}%`) +
        ` on ${result.problems} problems`,
    );
    await hooks.onEval?.(result);
    if (step >= 1 && (best === null || result.greedyPassAt1 > best.greedyPassAt1)) {
      best = { step, greedyPassAt1: result.greedyPassAt1 };
      if (config.checkpoint.keepBest) await saveUnlocked('best');
    }
    return result;
  };

  const currentState = (reason: string): TrainerState => ({
    format: 'oreal-ts/trainer-state',
    version: 1,
    step,
    seed: config.seed,
    rng: rngStateOf(rng),
    cursor: cursor.state,
    best,
    lastEvalStep,
    metricsLines,
    policyUpdates,
    hasRewardModel: rewardModel !== undefined,
    problems: { count: problems.length, fingerprint: problemsFingerprint },
    reason,
  });

  const saveUnlocked = async (reason: string): Promise<string> => {
    if (diverged) {
      throw new TrainingDivergedError(
        step + 1,
        'state',
        `refusing to save a checkpoint after training diverged; the last good checkpoint is ${lastCheckpoint ?? '(none)'}`,
      );
    }
    const path = await writeCheckpoint({
      root: checkpointRoot,
      state: currentState(reason),
      metricsFile: metricsReady ? metricsFile : undefined,
      writeModels: async (dir) => {
        await policy.save(join(dir, 'policy'));
        if (rewardModel) await rewardModel.save(join(dir, 'reward-model'));
      },
    });
    const keep = new Set<string>();
    if (config.checkpoint.keepBest && best) keep.add(checkpointName(best.step));
    await pruneCheckpoints(checkpointRoot, config.checkpoint.keepLast, step, keep);
    lastCheckpoint = path;
    lastCheckpointStep = step;
    log(`checkpoint (${reason}) → ${path}`);
    await hooks.onCheckpoint?.(path, reason);
    return path;
  };

  const resumeUnlocked = async (checkpointDir?: string): Promise<void> => {
    await discardPrefetch('the trainer is resuming from a checkpoint');
    const dir = checkpointDir ? resolve(checkpointDir) : await resolveLatestCheckpoint(checkpointRoot);
    const saved = await readTrainerState(dir);
    if (saved.cursor.position > problems.length) {
      throw new CheckpointError(
        dir,
        `its data cursor is at position ${saved.cursor.position} but only ${problems.length} training problems were given; resume with the same problems`,
      );
    }
    if (saved.problems.fingerprint !== problemsFingerprint) {
      log(
        `warning: the training problems differ from those of ${dir} (${saved.problems.count} then, ${problems.length} now); the continuation is not an exact resume`,
      );
    }
    if (saved.seed !== config.seed)
      log(
        `warning: seed ${config.seed} differs from the checkpoint's ${saved.seed}; the data order follows the new seed`,
      );
    try {
      await policy.load(join(dir, 'policy'));
    } catch (error) {
      throw new CheckpointError(
        dir,
        `the policy could not be loaded (${(error as Error).message}); resume from an earlier checkpoint`,
        { cause: error },
      );
    }
    if (rewardModel) {
      if (saved.hasRewardModel) {
        try {
          await rewardModel.load(join(dir, 'reward-model'));
        } catch (error) {
          throw new CheckpointError(
            dir,
            `the reward model could not be loaded (${(error as Error).message}); resume from an earlier checkpoint`,
            { cause: error },
          );
        }
      } else {
        log(`warning: ${dir} holds no reward model; the reward model starts from its initial weights`);
      }
    }
    // Metrics so far: the checkpoint's copy, else the run's file cut to the recorded length.
    await mkdir(runDir, { recursive: true });
    const text = await readFile(join(dir, 'metrics.jsonl'), 'utf8').catch(() =>
      readFile(metricsFile, 'utf8').catch(() => ''),
    );
    const lines = text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .slice(0, saved.metricsLines);
    await writeFileAtomic(metricsFile, lines.map((line) => `${line}\n`).join(''));
    // Commit the in-memory state only now that every load succeeded.
    step = saved.step;
    rng = SeededRng.fromState(saved.rng);
    cursor = new DataCursor(problems.length, config.seed, config.shuffle, saved.cursor);
    best = saved.best;
    lastEvalStep = saved.lastEvalStep;
    policyUpdates = saved.policyUpdates;
    metricsLines = lines.length;
    metricsReady = true;
    lastCheckpoint = dir;
    lastCheckpointStep = step;
    diverged = false;
    fleetVersion = undefined; // the servers are brought to the resumed version before they sample
    heldOut = null; // re-read from the run folder by the next step
    resumedSincePublication = true;
    log(`resumed from ${dir} at step ${step}`);
  };

  const trainer: Trainer = {
    config,
    runDir,
    metricsFile,
    checkpointRoot,
    get state(): TrainerStateView {
      return { step, cursor: cursor.state, policyUpdates, best, lastEvalStep, lastCheckpoint, diverged };
    },
    step: () => exclusive(stepUnlocked),
    evaluate: () => exclusive(evaluateUnlocked),
    saveCheckpoint: (reason = 'manual') => exclusive(() => saveUnlocked(reason)),
    resume: (checkpointDir) => exclusive(() => resumeUnlocked(checkpointDir)),
    async run(runOptions = {}) {
      if (running)
        throw new InvalidArgumentError(
          'run',
          'this trainer is already running; await the first run() before starting another',
        );
      running = true;
      try {
        return await runLoop(runOptions.signal);
      } finally {
        running = false;
      }
    },
  };

  const runLoop = async (signal: AbortSignal | undefined): Promise<TrainResult> => {
    let lastStep: StepMetrics | null = null;
    let lastEval: EvalMetrics | null = null;
    const evalEnabled = evalProblems.length > 0;
    if (evalEnabled && config.evalAtStart && step === 0 && lastEvalStep === null && !signal?.aborted) {
      lastEval = await trainer.evaluate();
    }
    while (step < config.steps) {
      if (signal?.aborted) {
        await discardPrefetch('the run was aborted');
        let checkpoint: string | null = lastCheckpoint;
        if (config.checkpoint.onAbort && lastCheckpointStep !== step)
          checkpoint = await trainer.saveCheckpoint('abort');
        log(`stopped at step ${step} (aborted)`);
        return { steps: step, stoppedBy: 'aborted', lastStep, lastEval, best, checkpoint, metricsFile };
      }
      await exclusive(async () => {
        lastStep = await stepUnlocked();
        if (evalEnabled && config.evalEvery > 0 && step % config.evalEvery === 0)
          lastEval = await evaluateUnlocked();
        // (an improved eval may already have saved this step as the best checkpoint)
        await phases.checkpoint({
          step,
          every: config.checkpoint.every,
          lastCheckpointStep,
          save: saveUnlocked,
        });
      });
    }
    await discardPrefetch('the run completed');
    if (evalEnabled && config.evalEvery > 0 && lastEvalStep !== step) lastEval = await trainer.evaluate();
    if (config.checkpoint.atEnd && lastCheckpointStep !== step) await trainer.saveCheckpoint('final');
    return {
      steps: step,
      stoppedBy: 'completed',
      lastStep,
      lastEval,
      best,
      checkpoint: lastCheckpoint,
      metricsFile,
    };
  };
  return trainer;
}

/** Where a plan is drawn from: the data cursor's and the RNG's states. */
interface DrawState {
  readonly cursor: DataCursorState;
  readonly rng: ReturnType<SeededRng['getState']>;
}

/** A step's plan with the state it was drawn from (as a key) and the state after the draw. */
interface DrawnPlan {
  readonly plan: StepPlan;
  readonly from: string;
  readonly after: DrawState;
  /** Data epoch after the draw (the step's metrics report it). */
  readonly epoch: number;
}

/** The async schedule's next step: its plan and its sample phase, already running. */
interface Prefetch {
  readonly drawn: DrawnPlan;
  readonly sample: Promise<SampleOutput>;
}

/** A comparable key of a draw state (RNG words as unsigned: `fromState` normalises them so). */
function stateKey(state: DrawState): string {
  return JSON.stringify({ cursor: state.cursor, rng: state.rng.words.map((w) => w >>> 0) });
}

function rngStateOf(source: SeededRng): TrainerState['rng'] {
  const [a, b, c, d] = source.getState().words;
  return { algorithm: 'sfc32', words: [a, b, c, d] };
}
