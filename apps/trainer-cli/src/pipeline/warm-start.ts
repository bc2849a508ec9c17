import { join } from 'node:path';
import type { Problem, Tokenizer, TrainablePolicy } from '@oreal-ts/core';
import { createTransformerPolicy } from '@oreal-ts/tensor-model';
import { supervisedFineTune } from '@oreal-ts/trainer';
import type { OrealConfig } from '../config/schema';
import { trainingOptions } from '../compose/create-components';
import { promptTemplateFor } from '../compose/prompt-templates';
import { renderPrompt } from '@oreal-ts/sampler';
import type { ProgressReporter } from '../report/progress';
import { withImperfectTeacher, withStepSlipTeacher } from './imperfect-teacher';

/** Result of the supervised warm start. */
export interface WarmStartResult {
  /** Checkpoint folder holding the fine-tuned policy and its tokenizer. */
  readonly checkpointDir: string;
  readonly steps: number;
  readonly finalLoss: number | null;
  readonly seconds: number;
}

/**
 * Prompt/response pairs for SFT: the prompt exactly as the samplers render it, the worked solution
 * as the response — written by the configured imperfect teachers: first the step slip
 * (`sft.teacherStepSlipRate`), then the dropped final carry (`sft.teacherCarryDropRate`), which
 * leaves an already slipped solution alone (its boxed answer is no longer the gold one).
 */
export function supervisedExamples(problems: readonly Problem[], config: OrealConfig, tokenizer: Tokenizer) {
  const template = promptTemplateFor(config.data.promptTemplate);
  return problems
    .filter((problem) => problem.solution !== undefined)
    .map((problem) => withStepSlipTeacher(problem, config.sft.teacherStepSlipRate, config.seed))
    .map((problem) => withImperfectTeacher(problem, config.sft.teacherCarryDropRate, config.seed))
    .map((problem) => ({
      prompt: renderPrompt(template, problem, tokenizer),
      response: problem.solution as string,
    }));
}

/**
 * Create a fresh policy from `config.model.architecture`, fine-tune it on the problems' worked
 * solutions for `config.sft.steps` steps, and save it (with the tokenizer) under `<runDir>/sft`.
 */
export async function runWarmStart(options: {
  readonly config: OrealConfig;
  readonly tokenizer: Tokenizer & { save(dir: string): Promise<void> };
  readonly problems: readonly Problem[];
  readonly runDir: string;
  readonly progress: ProgressReporter;
}): Promise<WarmStartResult> {
  const { config, tokenizer, progress } = options;
  const started = performance.now();
  const policy: TrainablePolicy = createTransformerPolicy(
    { ...config.model.architecture, vocab_size: tokenizer.vocabSize },
    { seed: config.seed, training: trainingOptions(config.sft.optimizer, config.sft.steps), fusedAttention: config.model.attention },
  );
  const examples = supervisedExamples(options.problems, config, tokenizer);
  progress.start('sft', config.sft.steps);
  let finalLoss: number | null = null;
  try {
    await supervisedFineTune({
      policy,
      tokenizer,
      examples,
      steps: config.sft.steps,
      batchSize: config.sft.batchSize,
      seed: config.seed,
      onStep: (report: { step: number; loss: number }) => {
        finalLoss = report.loss;
        progress.update(report.step, { loss: report.loss });
      },
    });
    progress.stop();
    const checkpointDir = join(options.runDir, 'sft');
    await policy.save(checkpointDir);
    await tokenizer.save(checkpointDir);
    return {
      checkpointDir,
      steps: config.sft.steps,
      finalLoss,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    policy.dispose();
  }
}
