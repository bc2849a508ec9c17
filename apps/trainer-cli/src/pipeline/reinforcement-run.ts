import { type EvalMetrics, type StepMetrics, type TrainResult } from '@oreal-ts/trainer';
import type { OrealConfig } from '../config/schema';
import type { Components } from '../compose/create-components';
import { createTrainerFromComponents } from '../compose/create-trainer-from-components';
import type { CommandOutput } from '../commands/output';
import { writeLearningCurve } from '../report/learning-curve';
import type { ProgressReporter } from '../report/progress';

/** Result of an RL run: the trainer's result plus the first and last held-out evaluations. */
export interface ReinforcementResult {
  readonly result: TrainResult;
  /** First evaluation of this run (step 0 on a fresh run: the policy before RL). */
  readonly firstEval: EvalMetrics | null;
  readonly lastEval: EvalMetrics | null;
  readonly seconds: number;
  /** Learning-curve files (null when plotting is off or there were no metrics). */
  readonly plot: { svg: string; png: string } | null;
}

/** Options of `runReinforcement`. */
export interface ReinforcementOptions {
  readonly config: OrealConfig;
  readonly components: Components;
  readonly runDir: string;
  readonly progress: ProgressReporter;
  readonly output: CommandOutput;
  readonly signal?: AbortSignal;
  /** Resume from this checkpoint folder, or from the latest in the run when `true`. */
  readonly resume?: string | true;
  /** Stop making progress after the checkpoint of this step is written and wait to be killed (tests). */
  readonly haltAfterStep?: number;
  /** Plot title. */
  readonly title?: string;
}

/** Run the OREAL trainer over composed components, with progress, a metrics JSONL and a learning-curve plot. */
export async function runReinforcement(options: ReinforcementOptions): Promise<ReinforcementResult> {
  const { config, components, progress } = options;
  const started = performance.now();
  let firstEval: EvalMetrics | null = null;
  let lastEval: EvalMetrics | null = null;
  let lastStep: StepMetrics | null = null;
  const trainer = createTrainerFromComponents(components, config, options.runDir, {
    onStep(metrics) {
      lastStep = metrics;
      progress.update(metrics.step, {
        pass: `${(metrics.passRate * 100).toFixed(0)}%`,
        kept: `${metrics.keptGroups}/${metrics.problems}`,
        ...(metrics.loss === null ? {} : { loss: metrics.loss }),
        ...(lastEval ? { 'eval@1': `${(lastEval.greedyPassAt1 * 100).toFixed(1)}%` } : {}),
      });
    },
    onEval(metrics) {
      firstEval ??= metrics;
      lastEval = metrics;
      progress.log(
        `[eval] step ${metrics.step}: held-out greedy pass@1 ${(metrics.greedyPassAt1 * 100).toFixed(1)}%` +
          (metrics.sampledPassAt1 === null
            ? ''
            : `, sampled pass@1 ${(metrics.sampledPassAt1 * 100).toFixed(1)}%`) +
          ` (${metrics.problems} problems, ${metrics.timing.evalSeconds.toFixed(1)} s)`,
      );
    },
    onLog(line) {
      // Per-step and eval lines are shown by the progress reporter and onEval above.
      if (line.startsWith('step ') || line.startsWith('eval @')) return;
      progress.log(line);
    },
    async onCheckpoint(path) {
      if (options.haltAfterStep !== undefined && trainer.state.step === options.haltAfterStep) {
        options.output.err(
          `halted after step ${trainer.state.step} (checkpoint ${path}); waiting to be killed`,
        );
        setInterval(() => undefined, 60_000);
        await new Promise(() => undefined);
      }
    },
  });
  if (options.resume) {
    await trainer.resume(options.resume === true ? undefined : options.resume);
    options.output.err(
      `resumed at step ${trainer.state.step} from ${trainer.state.lastCheckpoint ?? 'the latest checkpoint'}`,
    );
  }
  progress.start('rl', config.trainer.steps);
  progress.update(trainer.state.step);
  let result: TrainResult;
  try {
    result = await trainer.run(options.signal ? { signal: options.signal } : {});
  } finally {
    progress.stop();
  }
  void lastStep;
  const plot = config.logging.plot
    ? await writeLearningCurve(options.runDir, options.title ?? `OREAL run ${options.runDir}`)
    : null;
  return {
    result,
    firstEval,
    lastEval: result.lastEval ?? lastEval,
    seconds: (performance.now() - started) / 1000,
    plot,
  };
}
