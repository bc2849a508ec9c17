/**
 * The `oreal` configuration: one zod schema per section, every field with its default and, in its
 * description, where the default comes from. Parsed once at the edge (`loadConfig`) and read-only
 * inside. Unknown keys are refused so a typo names itself instead of being ignored.
 */
import { z } from 'zod';
import { TASK_FAMILIES, TaskDifficultySchema } from '@oreal-ts/trainer';
import { TrainerSectionSchema } from './trainer-section';

/** AdamW + warm-up/cosine schedule settings of a trained model (policy or token reward model). */
export const OptimizerSchema = z.strictObject({
  learningRate: z.number().positive().describe('Peak AdamW learning rate.'),
  weightDecay: z.number().min(0).default(0.01).describe('AdamW decoupled weight decay (reference: 0.01).'),
  warmupSteps: z.number().int().min(0).default(0).describe('Linear warm-up steps before the cosine decay.'),
  minLearningRateRatio: z
    .number()
    .min(0)
    .max(1)
    .default(0.1)
    .describe('Cosine floor as a fraction of the peak.'),
  gradClipNorm: z.number().positive().default(1).describe('Global L2 gradient clip (reference: 1.0).'),
});
/** Optimiser settings. */
export type OptimizerConfig = z.output<typeof OptimizerSchema>;

/** Hugging Face style architecture keys of the built-in transformer (a tiny Llama-like decoder). */
export const ArchitectureSchema = z.strictObject({
  model_type: z.enum(['llama', 'qwen2']).default('llama'),
  hidden_size: z.number().int().positive().default(128),
  intermediate_size: z.number().int().positive().default(384),
  num_hidden_layers: z.number().int().positive().default(4),
  num_attention_heads: z.number().int().positive().default(4),
  num_key_value_heads: z.number().int().positive().default(4),
  max_position_embeddings: z.number().int().positive().default(160),
  rope_theta: z.number().positive().default(10000),
  rms_norm_eps: z.number().positive().default(1e-5),
  tie_word_embeddings: z.boolean().default(true),
});

/** `model`: which policy to train and on which tfjs backend. */
export const ModelSectionSchema = z.strictObject({
  checkpoint: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Load the policy (and its tokenizer) from this checkpoint folder instead of creating a fresh one.',
    ),
  tokenizer: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Tokenizer folder (tokenizer.json); default: the checkpoint's, else a character tokenizer over the task alphabet.",
    ),
  architecture: ArchitectureSchema.prefault({}).describe(
    'Architecture of a fresh policy (ignored with `checkpoint`).',
  ),
  optimizer: OptimizerSchema.prefault({ learningRate: 3e-4 }).describe('Policy optimiser for RL.'),
  attention: z
    .enum(['auto', 'kernel', 'tensors'])
    .default('auto')
    .describe(
      "Attention of training and log-prob forwards: 'kernel' (fused wasm SIMD kernel), 'tensors' (TensorFlow.js ops) or 'auto' (OREAL_FUSED_ATTENTION, else the kernel on wasm). They differ at float rounding, which changes an RL trajectory: pin one to reproduce a run.",
    ),
});

/** `data`: the problems — the built-in generated task family, or JSONL files of `Problem` records. */
export const DataSectionSchema = z.strictObject({
  families: z
    .array(z.enum(TASK_FAMILIES))
    .min(1)
    .default(['addition'])
    .describe(
      `Built-in task families to generate (${TASK_FAMILIES.join(', ')}); ignored when trainFile is set.`,
    ),
  difficulty: TaskDifficultySchema.default({}).describe(
    'Difficulty knobs of the generators (digits, carries, coefficients, denominators).',
  ),
  trainCount: z.number().int().positive().default(2000).describe('Generated training problems.'),
  evalCount: z
    .number()
    .int()
    .positive()
    .default(100)
    .describe('Generated held-out problems (disjoint split).'),
  trainFile: z
    .string()
    .min(1)
    .optional()
    .describe('JSONL of problems {id, question, answer, solution?} to train on.'),
  evalFile: z.string().min(1).optional().describe('JSONL of held-out problems.'),
  promptTemplate: z
    .enum(['question', 'plain', 'chat'])
    .default('question')
    .describe(
      "'question': the bare question (tiny char models); 'plain': question + boxed-answer instruction; 'chat': one user message.",
    ),
});

/** `sampler`: where rollouts come from. Switching `type` is the only change needed to sample over HTTP. */
export const SamplerSectionSchema = z
  .strictObject({
    type: z
      .enum(['local', 'openai'])
      .default('local')
      .describe("'local': the tfjs policy in process; 'openai': OpenAI-compatible servers."),
    batchSize: z.number().int().positive().default(32).describe('Local sampler: rows decoded together.'),
    baseUrls: z
      .array(z.url())
      .default([])
      .describe('OpenAI sampler: server base URLs (e.g. http://127.0.0.1:8000/v1), the scale-out pool.'),
    model: z
      .string()
      .min(1)
      .default('oreal-local')
      .describe('OpenAI sampler: the `model` field of each request.'),
    mode: z
      .enum(['completions', 'chat'])
      .default('completions')
      .describe('OpenAI sampler: /v1/completions or /v1/chat/completions.'),
    apiKeyEnv: z
      .string()
      .min(1)
      .default('OPENAI_API_KEY')
      .describe('OpenAI sampler: environment variable holding the API key (never logged).'),
    concurrencyPerUrl: z.number().int().positive().default(4),
    maxRetries: z.number().int().min(0).default(4),
    timeoutMs: z.number().int().positive().default(60_000),
    tokenIds: z
      .boolean()
      .default(false)
      .describe(
        "OpenAI sampler: ask for token ids (vLLM's return_tokens_as_token_ids, served by `oreal serve`) so rollouts are not re-tokenised and the log-prob mismatch is measured token by token.",
      ),
  })
  .superRefine((value, context) => {
    if (value.type === 'openai' && value.baseUrls.length === 0) {
      context.addIssue({
        code: 'custom',
        path: ['baseUrls'],
        message:
          "sampler.type is 'openai' but no server is listed; add e.g. baseUrls: [http://127.0.0.1:8000/v1] (start one with `oreal serve`)",
      });
    }
  });

/**
 * `engine`: where the policy is trained. `local` (default): the built-in tfjs transformer in this
 * process. `tinker`: a remote engine behind the Tinker API (the hosted service or a self-hosted
 * Tinker-compatible server such as `oreal serve --tinker`); the policy, its frozen reference and
 * the sampler then live on the engine, the token reward model stays a local tfjs model.
 */
export const EngineSectionSchema = z
  .strictObject({
    type: z
      .enum(['local', 'tinker'])
      .default('local')
      .describe("'local': tfjs in process; 'tinker': a Tinker-API training engine."),
    baseUrl: z.string().url().optional().describe('Tinker: engine base URL (default: env TINKER_BASE_URL).'),
    apiKeyEnv: z
      .string()
      .min(1)
      .default('TINKER_API_KEY')
      .describe('Tinker: environment variable holding the API key (never logged).'),
    baseModel: z
      .string()
      .min(1)
      .optional()
      .describe('Tinker: base model name as the engine lists it (e.g. Qwen/Qwen2.5-Math-1.5B).'),
    loraRank: z.number().int().positive().default(32).describe('Tinker: LoRA rank of the trained adapter.'),
    maxSequenceLength: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        "Tinker: prompt + response token limit; default: the local checkpoint's max_position_embeddings.",
      ),
    parameterCount: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Tinker: trainable parameters, for reports (the API does not report it).'),
    concurrency: z.number().int().positive().default(32).describe('Tinker: sampling requests in flight.'),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(600_000)
      .describe('Tinker: per-call limit, polling included.'),
  })
  .superRefine((engine, context) => {
    if (engine.type === 'tinker' && !engine.baseModel) {
      context.addIssue({
        code: 'custom',
        path: ['baseModel'],
        message:
          "engine.type is 'tinker' but no baseModel is named; add e.g. baseModel: Qwen/Qwen2.5-Math-1.5B",
      });
    }
  });

/** `verifier`: the math-verifier settings. */
export const VerifierSectionSchema = z.strictObject({
  timeoutMs: z
    .number()
    .int()
    .positive()
    .default(2000)
    .describe('Per-comparison time limit (symbolic checks can hang).'),
  threads: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Worker threads for verification; 0 grades in process.'),
});

/** `objective`: the RL loss by registry name, plus its options. */
export const ObjectiveSectionSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .default('oreal')
    .describe('Registry name: oreal, reinforce, rloo, grpo, dr-grpo, rft.'),
  options: z
    .record(z.string(), z.unknown())
    .default({})
    .describe("Options of the objective's factory (e.g. beta, lambdaNegative)."),
});

/** `tokenRewardModel`: OREAL's token-level reward model (importance weights ω). */
export const TokenRewardModelSectionSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Train and use the token reward model (ω ≡ 1 when off).'),
  positiveThreshold: z
    .number()
    .min(0)
    .lt(1)
    .default(0.5)
    .describe(
      "c₊ of ω⁺ = clamp((q − c₊)/(1 − c₊), 0, 1); 0.5 gives oreal-method.md's clamp(2q − 1, 0, 1) (reference correct_threshold).",
    ),
  negativeThreshold: z
    .number()
    .min(0)
    .lt(1)
    .default(0.5)
    .describe(
      'c₋ of ω⁻ = clamp(((1 − q) − c₋)/(1 − c₋), 0, 1), the reference incorrect_threshold (a rescale of 1 − q); 0.5 gives clamp(1 − 2q, 0, 1).',
    ),
  topKRescale: z
    .strictObject({
      positiveRatio: z.number().gt(0).max(1),
      negativeRatio: z.number().gt(0).max(1),
      mode: z.enum(['reference', 'sum-preserving']).default('reference'),
    })
    .optional()
    .describe(
      "Top-k rescale instead of the threshold rescale (off by default, as in the reference): mode reference = raw probabilities, ⌊ratio·T⌋ kept, min-max normalised; sum-preserving = this project's earlier variant.",
    ),
  optimizer: OptimizerSchema.prefault({ learningRate: 1e-3 }).describe(
    'Its own AdamW (reference: 4× the policy lr at 7B).',
  ),
});

/**
 * `fleet`: weight sync to the OpenAI-compatible servers of `sampler.baseUrls`. With `weightSync`
 * other than `none`, the trainer publishes its weights as Hugging Face checkpoint folders under the
 * run folder (`publishDir`) and has every server load them (schedule and cadence in
 * `trainer.weightSync`), so rollouts come from the weights being trained. `none` keeps the
 * servers' own weights: the run is then off-policy, and the trainer says so once.
 */
export const FleetSectionSchema = z.strictObject({
  weightSync: z
    .enum(['none', 'oreal', 'sglang', 'vllm'])
    .default('none')
    .describe(
      "How the servers load new weights: 'oreal' (`oreal serve`'s /v1/load_weights), 'sglang' (/update_weights_from_disk), 'vllm' (see the fleet README), 'none' (never).",
    ),
  publishDir: z
    .string()
    .min(1)
    .default('weights')
    .describe(
      'Folder of published versions policy-v<step>, relative to the run folder unless absolute; servers must read it at the same path.',
    ),
  keep: z.number().int().min(1).default(3).describe('Published versions kept on disk.'),
  mode: z
    .enum(['full', 'delta'])
    .default('full')
    .describe(
      "'full': every tensor each time; 'delta': only the tensors that changed ('oreal' servers only).",
    ),
  dtype: z
    .enum(['F32', 'BF16'])
    .default('F32')
    .describe(
      'Tensor type of the published files (F32 keeps the trainer and the servers on the same numbers).',
    ),
  probeIntervalMs: z
    .number()
    .int()
    .positive()
    .default(1000)
    .describe(
      'How often a server that dropped out is probed; one that answers is brought to the current version before it gets work.',
    ),
});

/** `sft`: the supervised warm start on the generated step-by-step solutions. */
export const SftSectionSchema = z.strictObject({
  steps: z.number().int().min(0).default(200),
  batchSize: z.number().int().positive().default(32),
  teacherCarryDropRate: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe(
      'Imperfect-teacher SFT data: probability that a worked addition solution forgets the final carry in its boxed answer (0 = exact solutions).',
    ),
  teacherStepSlipRate: z
    .number({ error: 'must be a number in [0, 1], e.g. 0.3 (0 = exact solutions)' })
    .min(0, 'must be ≥ 0 (0 = exact solutions)')
    .max(1, 'must be ≤ 1: it is the probability that a worked solution slips one step')
    .default(0)
    .describe(
      'Imperfect-teacher SFT data: probability that a worked addition/multiplication solution writes ONE intermediate step wrong (step and digit drawn per problem) and carries the error through the later steps into the boxed answer (0 = exact solutions).',
    ),
  optimizer: OptimizerSchema.prefault({ learningRate: 2e-3, warmupSteps: 10 }),
});

/** `logging`: where runs go and how progress is shown. */
export const LoggingSectionSchema = z.strictObject({
  runsDir: z.string().min(1).default('runs').describe('Parent folder of run directories (git-ignored).'),
  runName: z.string().min(1).optional().describe('Run directory name; default <command>-<UTC timestamp>.'),
  progress: z
    .enum(['auto', 'bar', 'plain', 'off'])
    .default('auto')
    .describe("'auto': a bar on a terminal, plain lines otherwise."),
  intervalSeconds: z.number().positive().default(15).describe('Seconds between plain progress lines.'),
  plot: z.boolean().default(true).describe('Write learning-curve SVG + PNG at the end of a run.'),
});

/** Default top-level seed. */
export const DEFAULT_SEED = 1;

/** The whole `oreal` configuration. */
export const OrealConfigSchema = z.strictObject({
  seed: z
    .number()
    .int()
    .min(0)
    .default(DEFAULT_SEED)
    .describe('Seed of every random choice (data, init, sampling, filtering).'),
  model: ModelSectionSchema.prefault({}),
  data: DataSectionSchema.prefault({}),
  engine: EngineSectionSchema.prefault({}),
  sampler: SamplerSectionSchema.prefault({}),
  fleet: FleetSectionSchema.prefault({}),
  verifier: VerifierSectionSchema.prefault({}),
  objective: ObjectiveSectionSchema.prefault({}),
  tokenRewardModel: TokenRewardModelSectionSchema.prefault({}),
  sft: SftSectionSchema.prefault({}),
  trainer: TrainerSectionSchema.prefault({}),
  logging: LoggingSectionSchema.prefault({}),
});

/** A parsed, defaulted configuration. */
export type OrealConfig = Readonly<z.output<typeof OrealConfigSchema>>;
/** A configuration as written in a file (every field optional). */
export type OrealConfigInput = z.input<typeof OrealConfigSchema>;
