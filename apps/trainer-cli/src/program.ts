import { Command, Option } from 'commander';
import { runAblateCommand } from './commands/ablate-command';
import type { AblateFlagInput } from './commands/ablate-flags';
import { runDemoCommand } from './commands/demo-command';
import { runEvalCommand } from './commands/eval-command';
import { processOutput, type CommandOutput } from './commands/output';
import { runServeCommand, runServeTinkerCommand } from './commands/serve-command';
import { runSftCommand } from './commands/sft-command';
import { runTrainCommand, type TrainFlags } from './commands/train-command';
import { runVerifyCommand } from './commands/verify-command-runner';
import { ABLATION_VARIANTS } from './pipeline/ablation-variants';

/** Options every config-driven command takes. */
export interface ConfigFlags {
  readonly config?: string;
  readonly set: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

function withConfigFlags(command: Command): Command {
  return command
    .option(
      '-c, --config <file>',
      'YAML or JSON config file (sections: model, data, sampler, fleet, verifier, objective, tokenRewardModel, sft, trainer, logging)',
    )
    .option(
      '--set <field=value>',
      'override one config field, e.g. --set trainer.steps=20 (repeatable)',
      collect,
      [] as string[],
    );
}

/**
 * The `oreal` command: sft, train, eval, demo, ablate, verify, serve. Exit codes: 0 success,
 * 1 failure (or `verify`: the response is incorrect), 2 usage or configuration error.
 */
export function createProgram(output: CommandOutput = processOutput): Command {
  const program = new Command('oreal')
    .description(
      'Outcome-reward reinforcement learning (OREAL) for mathematical reasoning, on TensorFlow.js.',
    )
    .showHelpAfterError()
    .configureOutput({ writeOut: (text) => output.out(text), writeErr: (text) => output.err(text) });

  withConfigFlags(
    program
      .command('sft')
      .description('supervised warm start on generated worked solutions; saves <run>/sft'),
  ).action(async (flags: ConfigFlags) => runSftCommand(flags, output));

  withConfigFlags(
    program
      .command('train')
      .description('OREAL reinforcement learning from a config file plus --set overrides'),
  )
    .option(
      '--resume [runDir]',
      'continue a run exactly from its latest checkpoint (default: the run named by logging.runName)',
    )
    .option(
      '--from-checkpoint <dir>',
      'with --resume: continue from this checkpoint folder instead of the latest (e.g. when the latest is corrupt)',
    )
    .addOption(
      new Option(
        '--halt-after-step <n>',
        'tests: stop making progress after the checkpoint of step n and wait to be killed',
      )
        .hideHelp()
        .argParser((v) => Number.parseInt(v, 10)),
    )
    .action(async (flags: TrainFlags) => runTrainCommand(flags, output));

  withConfigFlags(program.command('eval').description('held-out greedy and sampled pass@1 of a checkpoint'))
    .option('--checkpoint <dir>', 'policy checkpoint folder (default: model.checkpoint of the config)')
    .option(
      '--samples <n>',
      'samples per problem for sampled pass@1 (0: greedy only)',
      (v) => Number.parseInt(v, 10),
      4,
    )
    .action(async (flags: ConfigFlags & { checkpoint?: string; samples: number }) =>
      runEvalCommand(flags, output),
    );

  withConfigFlags(
    program
      .command('demo')
      .description(
        'short SFT → held-out pass@1 → OREAL RL → held-out pass@1, with a before/after table and a plot',
      ),
  )
    .option(
      '--engine <engine>',
      "where RL trains: 'local' (tfjs in process) or 'tinker-local' (through the Tinker API against a local `oreal serve --tinker` on 127.0.0.1)",
      'local',
    )
    .option(
      '--fleet <n>',
      'draw the RL rollouts from n `oreal serve` processes on 127.0.0.1 that load the trained weights after every step (sync schedule); ends with fleet-summary: <file>',
      (v) => Number.parseInt(v, 10),
    )
    .action(async (flags: ConfigFlags & { engine: string; fleet?: number }) => runDemoCommand(flags, output));

  withConfigFlags(
    program
      .command('ablate')
      .description(
        'per seed: one SFT start, then SFT only, REINFORCE, RLOO, GRPO, Dr. GRPO and OREAL (without token RM, without negative shaping, full) with the same rollout budget; mean ± 95% CI over --seeds',
      ),
  )
    .option('--variants <names>', `comma-separated subset of: ${ABLATION_VARIANTS.map((v) => v.name).join(',')}`)
    .option('--seeds <n>', 'seeds (config seed, seed + 1, …), each with its own SFT start into <run>/seed-<s>/ (default 1)')
    .option('--jobs <n>', 'with --seeds: seeds run at once, each in its own `oreal ablate` process (default 1)')
    .option(
      '--target <pass@1>',
      'target held-out greedy pass@1 (0..1) of "rollouts to target" (default: halfway from the mean SFT pass@1 to 1)',
    )
    .option(
      '--aggregate <runDir>',
      'no training: aggregate the seed-<s>/ folders of an earlier multi-seed run into its ablation.* again (e.g. with another --target)',
    )
    .action(async (flags: ConfigFlags & AblateFlagInput) => runAblateCommand(flags, output));

  program
    .command('verify')
    .description(
      'grade a response against a gold answer (exit 0: correct, 1: incorrect), or a JSONL batch {gold, response}',
    )
    .option('--gold <answer>', 'gold answer, e.g. "\\frac{1}{2}"')
    .option('--response <text>', 'model response (the last \\boxed{} is graded)')
    .option(
      '--input <file.jsonl>',
      'batch mode: one {id?, gold, response, finishReason?} per line; one JSON verdict per line out',
    )
    .option('--explain', 'show the extracted answer and how it was compared')
    .option('--json', 'print the verdict as JSON')
    .option('--timeout-ms <ms>', 'per-comparison time limit', (v) => Number.parseInt(v, 10), 2000)
    .action(async (flags) => runVerifyCommand(flags, output));

  program
    .command('serve')
    .description('serve a checkpoint over the OpenAI API (/v1/models, /v1/completions, /v1/chat/completions)')
    .requiredOption('--checkpoint <dir>', 'policy checkpoint folder (with its tokenizer)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .addOption(
      new Option('--port <port>', 'port (0: any free port)')
        .default(8000)
        .argParser((v) => Number.parseInt(v, 10)),
    )
    .option(
      '--model-name <name>',
      'model id reported by /v1/models (with --tinker: the base_model name)',
      'oreal-local',
    )
    .option('--tinker', 'serve the Tinker training API (/api/v1/...) instead of the OpenAI API')
    .option('--state-dir <dir>', 'with --tinker: folder of save_weights checkpoints (default: a temp folder)')
    .action(
      async (flags: {
        checkpoint: string;
        host: string;
        port: number;
        modelName: string;
        tinker?: boolean;
        stateDir?: string;
      }) => (flags.tinker ? runServeTinkerCommand(flags, output) : runServeCommand(flags, output)),
    );

  return program;
}
