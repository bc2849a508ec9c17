import { basename, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { ConfigError, OrealError, parseConfig, type Problem } from '@oreal-ts/core';
import { ensureMath500 } from '../data/download';
import { loadMath500 } from '../data/math500-problems';
import { gradeResponses } from '../grade/grade-responses';
import type { BenchmarkSummary } from '../metrics/summarize';
import { resolveTemplate } from '../prompts/templates';
import { runBenchmark } from '../run/run-benchmark';
import type { RunSettings } from '../run/run-settings';
import { createCheckpointSampler, createEndpointSampler, createVerification } from './components';

/** What the CLI may have injected (tests): network, logging, cancellation. */
export interface CliEnvironment {
  /** `fetch` for the data download and the endpoints (default: global fetch). */
  readonly fetch?: typeof globalThis.fetch;
  /** Progress and errors (default: stderr). */
  readonly log?: (message: string) => void;
  /** Final one-line results (default: stdout). */
  readonly print?: (message: string) => void;
  /** Aborting stops a sampling run as a kill would (used by tests). */
  readonly signal?: AbortSignal;
  /** Cache folder for the downloaded data (default `~/.cache/oreal-ts/math500`). */
  readonly cacheDir?: string;
}

const positiveInt = (flag: string) => z.coerce.number({ message: `${flag} must be a number` }).int(`${flag} must be an integer`).min(1, `${flag} must be ≥ 1`);

/** Flags shared by both commands. */
const CommonFlagsSchema = z.object({
  data: z.string().optional(),
  cacheDir: z.string().optional(),
  out: z.string().optional(),
  limit: positiveInt('--limit').optional(),
  verifierThreads: z.coerce.number().int().min(0).default(2),
  verifierTimeout: positiveInt('--verifier-timeout').default(5000),
});

/** Flags of the sampling command; cross-field rules name the flag and the fix. */
export const RunFlagsSchema = CommonFlagsSchema.extend({
  endpoint: z.array(z.url({ protocol: /^https?$/, message: '--endpoint must be an http(s) URL' })).optional(),
  model: z.string().min(1).optional(),
  api: z.enum(['chat', 'completions']).default('chat'),
  checkpoint: z.string().optional(),
  template: z.string().default('qwen-boxed'),
  n: positiveInt('--n').default(1),
  temperature: z.coerce.number().min(0, '--temperature must be ≥ 0').default(0.6),
  topP: z.coerce.number().gt(0, '--top-p must be in (0, 1]').max(1, '--top-p must be in (0, 1]').default(0.95),
  maxTokens: positiveInt('--max-tokens').default(4096),
  seed: z.coerce.number().int().default(0),
  concurrency: positiveInt('--concurrency').default(16),
  maxRetries: z.coerce.number().int().min(0).default(5),
  requestTimeout: positiveInt('--request-timeout').default(600_000),
  resume: z.boolean().default(false),
}).superRefine((flags, context) => {
  const endpoints = flags.endpoint?.length ?? 0;
  if (endpoints > 0 && flags.checkpoint !== undefined) {
    context.addIssue({ code: 'custom', path: ['checkpoint'], message: 'give either --endpoint URL… --model NAME or --checkpoint DIR, not both' });
  } else if (endpoints === 0 && flags.checkpoint === undefined) {
    context.addIssue({ code: 'custom', path: ['endpoint'], message: 'say which model to evaluate: --endpoint URL --model NAME, or --checkpoint DIR' });
  } else if (endpoints > 0 && flags.model === undefined) {
    context.addIssue({ code: 'custom', path: ['model'], message: '--endpoint needs --model NAME (the model field of each request)' });
  }
});

/** Flags of the `grade` command. */
export const GradeFlagsSchema = CommonFlagsSchema.extend({
  responses: z.string({ message: '--responses FILE is required' }),
  model: z.string().min(1).optional(),
  concurrency: positiveInt('--concurrency').default(64),
});

/** Rows a local checkpoint decodes together (problems × samples per sampler call). */
const LOCAL_BATCH_ROWS = 16;

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
}

async function loadProblems(flags: z.output<typeof CommonFlagsSchema>, env: CliEnvironment, log: (m: string) => void): Promise<{ problems: Problem[]; label: string }> {
  const file =
    flags.data ??
    (await ensureMath500({
      ...(flags.cacheDir ?? env.cacheDir ? { cacheDir: flags.cacheDir ?? env.cacheDir } : {}),
      ...(env.fetch ? { fetch: env.fetch } : {}),
      log,
    }));
  const all = await loadMath500(file);
  return { problems: flags.limit === undefined ? all : all.slice(0, flags.limit), label: flags.data ?? 'MATH-500 (downloaded, SHA-256 verified)' };
}

function headline(summary: BenchmarkSummary, outDir: string): string {
  const p = summary.passAt1;
  return `MATH-500 ${summary.model}: pass@1 ${(p.value * 100).toFixed(1)}% (95% CI ${(p.lower * 100).toFixed(1)}–${(p.upper * 100).toFixed(1)}) over ${summary.problems} problems × ${summary.samplesPerProblem ?? '?'} samples${summary.complete ? '' : ' [incomplete]'} → ${outDir}`;
}

/** Build the `oreal-math500` command (a fresh instance per call, so tests can run it repeatedly). */
export function buildProgram(env: CliEnvironment = {}): Command {
  const log = env.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const print = env.print ?? ((message: string) => process.stdout.write(`${message}\n`));
  const program = new Command('oreal-math500')
    .description('MATH-500 harness: sample a model (OpenAI-compatible endpoints or a local checkpoint) or grade given responses; pass@1 with CI, pass@k, maj@k, report and chart.')
    .showHelpAfterError()
    .exitOverride();
  const common = (command: Command) =>
    command
      .option('--data <file>', 'MATH-500 style JSONL (problem, answer, subject, level, unique_id); default: download and cache the public file')
      .option('--cache-dir <dir>', 'where the downloaded data is cached (default ~/.cache/oreal-ts/math500)')
      .option('--out <dir>', 'output folder (results.jsonl, summary.json, report.md, accuracy.svg/png)')
      .option('--limit <n>', 'evaluate only the first n problems')
      .option('--verifier-threads <n>', 'verifier worker threads (0 = in-process)', '2')
      .option('--verifier-timeout <ms>', 'time limit per comparison', '5000');

  const collect = (value: string, previous: string[] = []) => [...previous, value];
  common(
    program
      .command('run', { isDefault: true })
      .description('sample K responses per problem, grade them, report')
      .option('--endpoint <url>', 'OpenAI-compatible server base URL (repeat for several servers)', collect)
      .option('--model <name>', 'model name sent to the endpoint')
      .addOption(new Option('--api <kind>', 'endpoint API').choices(['chat', 'completions']).default('chat'))
      .option('--checkpoint <dir>', 'local tensor-model checkpoint folder (sampled in-process)')
      .option('--template <name|file>', 'prompt: qwen-boxed, r1, plain, or a template file', 'qwen-boxed')
      .option('--n <k>', 'samples per problem (K)', '1')
      .option('--temperature <t>', 'sampling temperature', '0.6')
      .option('--top-p <p>', 'nucleus sampling mass', '0.95')
      .option('--max-tokens <n>', 'max new tokens per response', '4096')
      .option('--seed <s>', 'sampling seed (per-sample seeds derive from it)', '0')
      .option('--concurrency <n>', 'requests in flight', '16')
      .option('--max-retries <n>', 'HTTP retries per request', '5')
      .option('--request-timeout <ms>', 'HTTP time limit per request', '600000')
      .option('--resume', 'continue the run in --out, skipping finished (problem, sample) pairs', false),
  ).action(async (raw: Record<string, unknown>) => {
    const flags = parseConfig(RunFlagsSchema, raw, 'flags');
    const verification = await createVerification({ threads: flags.verifierThreads, timeoutMs: flags.verifierTimeout });
    let closeSampler = () => undefined as void;
    try {
      const { problems, label } = await loadProblems(flags, env, log);
      const template = await resolveTemplate(flags.template);
      const model = flags.model ?? basename(resolve(flags.checkpoint as string));
      const endpoint = flags.endpoint !== undefined && flags.endpoint.length > 0;
      let sampler;
      if (endpoint) {
        sampler = await createEndpointSampler({
          baseUrls: flags.endpoint as string[],
          model,
          api: flags.api,
          prompt: flags.api === 'chat' ? template.messages : template.render,
          concurrencyPerUrl: flags.concurrency,
          maxRetries: flags.maxRetries,
          timeoutMs: flags.requestTimeout,
          ...(env.fetch ? { fetch: env.fetch } : {}),
        });
      } else {
        const local = await createCheckpointSampler({ dir: flags.checkpoint as string, prompt: template.render, batchSize: LOCAL_BATCH_ROWS });
        sampler = local.sampler;
        closeSampler = () => local.close();
      }
      const settings: RunSettings = {
        mode: 'sample',
        model,
        source: endpoint ? `endpoint:${flags.api}` : `checkpoint:${resolve(flags.checkpoint as string)}`,
        data: label,
        template: template.name,
        n: flags.n,
        temperature: flags.temperature,
        topP: flags.topP,
        maxTokens: flags.maxTokens,
        seed: flags.seed,
        problems: problems.length,
      };
      const outDir = flags.out ?? `runs/math500/${slug(model)}`;
      const result = await runBenchmark({
        problems,
        sampler,
        verifier: verification.verifier,
        equivalence: verification.equivalence,
        outDir,
        settings,
        sampling: {
          temperature: flags.temperature,
          topP: flags.topP,
          maxNewTokens: flags.maxTokens,
          ...(template.stop.length > 0 && (!endpoint || flags.api === 'completions') ? { stop: [...template.stop] } : {}),
        },
        concurrency: endpoint ? flags.concurrency : 1,
        samplesPerCall: endpoint ? 1 : Math.min(flags.n, LOCAL_BATCH_ROWS),
        problemsPerCall: endpoint ? 1 : Math.max(1, Math.floor(LOCAL_BATCH_ROWS / flags.n)),
        resume: flags.resume,
        log,
        ...(env.signal ? { signal: env.signal } : {}),
      });
      print(headline(result.summary, outDir));
      if (result.failed > 0) throw new RunIncompleteError(result.failed, outDir);
    } finally {
      closeSampler();
      await verification.close();
    }
  });

  common(
    program
      .command('grade')
      .description('grade responses produced elsewhere with the same verifier, write the same outputs')
      .requiredOption('--responses <file>', 'JSONL with unique_id or problem, response, optional model, sample, finish_reason')
      .option('--model <name>', 'grade only this model\'s lines (required when the file holds several)')
      .option('--concurrency <n>', 'verifications in flight', '64'),
  ).action(async (raw: Record<string, unknown>) => {
    const flags = parseConfig(GradeFlagsSchema, raw, 'flags');
    const verification = await createVerification({ threads: flags.verifierThreads, timeoutMs: flags.verifierTimeout });
    try {
      const { problems, label } = await loadProblems(flags, env, log);
      const outDir = flags.out ?? `runs/math500/grade-${slug(flags.model ?? basename(flags.responses, '.jsonl'))}`;
      const result = await gradeResponses({
        problems,
        responsesFile: flags.responses,
        verifier: verification.verifier,
        equivalence: verification.equivalence,
        outDir,
        dataLabel: label,
        concurrency: flags.concurrency,
        log,
        ...(flags.model ? { model: flags.model } : {}),
      });
      print(headline(result.summary, outDir));
    } finally {
      await verification.close();
    }
  });
  return program;
}

/** Some samples failed for good; the run is resumable. */
export class RunIncompleteError extends Error {
  constructor(readonly failed: number, readonly outDir: string) {
    super(`${failed} samples failed (see warnings above); rerun with --resume --out ${outDir} to retry them`);
    this.name = 'RunIncompleteError';
  }
}

/**
 * Run the CLI on `argv` (without the node and script entries) and return the exit code: 0 success,
 * 1 failed samples or an unexpected error, 2 bad flags or data (the message says what and how to fix).
 */
export async function runCli(argv: readonly string[], env: CliEnvironment = {}): Promise<number> {
  const log = env.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const program = buildProgram(env);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    const e = error as Error & { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    }
    if (ConfigError.is(error) || (OrealError.is(error) && (error.code === 'DATA_FORMAT' || error.code === 'HTTP_REQUEST' || error.code === 'CHECKPOINT'))) {
      log(`error: ${e.message}`);
      return 2;
    }
    if (error instanceof RunIncompleteError) {
      log(`error: ${e.message}`);
      return 1;
    }
    if (env.signal?.aborted) throw error;
    log(`error: ${e.stack ?? e.message}`);
    return 1;
  }
}
