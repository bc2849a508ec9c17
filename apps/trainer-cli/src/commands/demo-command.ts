import { join } from 'node:path';
import { ConfigError } from '@oreal-ts/core';
import { loadTransformerPolicy } from '@oreal-ts/tensor-model';
import type { OrealConfig } from '../config/schema';
import { startTinkerServer, type RunningTinkerServer } from '../serve-tinker/index';
import { writeFileAtomic, writeJsonAtomic } from '@oreal-ts/core/node';
import { createTaskTokenizer } from '../compose/create-components';
import { loadProblems } from '../compose/load-problems';
import { DEMO_CONFIG } from '../pipeline/demo-config';
import { runReinforcementFromCheckpoint } from '../pipeline/rl-from-checkpoint';
import { runWarmStart } from '../pipeline/warm-start';
import { withDeliveryAudit } from '../fleet/delivery-audit';
import { writeFleetSummary } from '../fleet/fleet-summary';
import { startLocalFleet } from '../fleet/local-fleet';
import type { Sampler } from '@oreal-ts/core';
import type { ConfigFlags } from '../program';
import { formatMarkdownTable, formatTable, percent } from '../report/table';
import { describeBackend, initBackendAndReport } from './backend';
import type { CommandOutput } from './output';
import { prepareRun } from './prepare-run';
import { abortOnSignals } from './signals';

function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * `oreal demo`: a deliberately short SFT on generated worked solutions, held-out greedy pass@1,
 * OREAL RL (token reward model included), held-out greedy pass@1 again; prints a before/after
 * table and writes `summary.json`, `summary.md`, metrics and a learning-curve plot in the run folder.
 */
export async function runDemoCommand(
  flags: ConfigFlags & { engine?: string; fleet?: number },
  output: CommandOutput,
): Promise<void> {
  const started = performance.now();
  const engine = flags.engine ?? 'local';
  if (engine !== 'local' && engine !== 'tinker-local')
    throw new ConfigError('--engine', `must be 'local' or 'tinker-local', got ${JSON.stringify(engine)}`);
  if (flags.fleet !== undefined && (!Number.isInteger(flags.fleet) || flags.fleet < 1 || flags.fleet > 8)) {
    throw new ConfigError('--fleet', `must be a number of servers in 1..8, got ${String(flags.fleet)}`);
  }
  if (flags.fleet !== undefined && engine !== 'local')
    throw new ConfigError('--fleet', 'trains in process; use it with --engine local (the default)');
  const { config, runDir, progress } = await prepareRun('demo', flags, output, DEMO_CONFIG);
  const backend = await initBackendAndReport(output);
  const problems = await loadProblems(config);
  output.err(
    `demo: ${problems.train.length} training / ${problems.test.length} held-out problems (${config.data.families.join(', ')}, difficulty ${JSON.stringify(config.data.difficulty)}), seed ${config.seed}`,
  );
  if (config.sft.teacherCarryDropRate > 0) {
    output.err(
      `sft data: worked solutions from an imperfect teacher that forgets the final carry in the boxed answer ${Math.round(config.sft.teacherCarryDropRate * 100)}% of the time (gold answers are exact); RL must repair what SFT taught wrong`,
    );
  }
  if (config.sft.teacherStepSlipRate > 0) {
    output.err(
      `sft data: ${Math.round(config.sft.teacherStepSlipRate * 100)}% of the worked solutions slip one intermediate step (a different one per problem) and carry the error into the boxed answer (gold answers are exact)`,
    );
  }
  const warm = await runWarmStart({
    config,
    tokenizer: createTaskTokenizer(),
    problems: problems.train,
    runDir,
    progress,
  });
  output.err(
    `sft: ${warm.steps} steps in ${warm.seconds.toFixed(0)} s (final loss ${warm.finalLoss?.toFixed(3) ?? 'n/a'})`,
  );
  const signals = abortOnSignals((signal) =>
    output.err(`${signal}: stopping after the current step (again to exit now)`),
  );
  const remote =
    engine === 'tinker-local' ? await startLocalTinkerEngine(config, warm.checkpointDir, output) : undefined;
  const fleet =
    flags.fleet === undefined
      ? undefined
      : await startDemoFleet(config, flags.fleet, warm.checkpointDir, runDir, output);
  try {
    const rl = await runReinforcementFromCheckpoint({
      config: remote?.config ?? fleet?.config ?? config,
      ...(fleet ? { decorateSampler: fleet.audit } : {}),
      checkpointDir: warm.checkpointDir,
      problems,
      runDir: join(runDir, 'rl'),
      progress,
      output,
      signal: signals.signal,
      title: `oreal demo: OREAL RL after a short SFT${remote ? ' (Tinker API, local server)' : fleet ? ` (rollouts from ${fleet.servers.servers.length} oreal serve processes)` : ''}`,
    });
    const seconds = (performance.now() - started) / 1000;
    const usage = process.cpuUsage();
    const cpuSeconds = (usage.user + usage.system) / 1e6;
    const before = rl.firstEval;
    const after = rl.lastEval;
    if (!before || !after) {
      output.out('demo: no held-out evaluation was recorded (evaluation disabled?)');
      return;
    }
    const header = [
      'held-out (' + String(after.problems) + ' problems)',
      'after SFT',
      `after OREAL (${rl.result.steps} steps)`,
      'change',
    ];
    const rows: (string | number)[][] = [
      [
        'greedy pass@1 (%)',
        percent(before.greedyPassAt1),
        percent(after.greedyPassAt1),
        signed(percent(after.greedyPassAt1) - percent(before.greedyPassAt1)),
      ],
    ];
    if (before.sampledPassAt1 !== null && after.sampledPassAt1 !== null) {
      rows.push([
        'sampled pass@1 (%)',
        percent(before.sampledPassAt1),
        percent(after.sampledPassAt1),
        signed(percent(after.sampledPassAt1) - percent(before.sampledPassAt1)),
      ]);
    }
    rows.push([
      'greedy truncated (%)',
      percent(before.greedyTruncatedRate),
      percent(after.greedyTruncatedRate),
      signed(percent(after.greedyTruncatedRate) - percent(before.greedyTruncatedRate)),
    ]);
    const summary = {
      command: 'oreal demo',
      engine,
      seed: config.seed,
      backend: backend.backend,
      parameters: rl.parameterCount,
      sftSteps: warm.steps,
      sftSeconds: warm.seconds,
      rlSteps: rl.result.steps,
      rlSeconds: rl.seconds,
      wallSeconds: seconds,
      cpuSeconds,
      heldOutProblems: after.problems,
      before,
      after,
      plot: rl.plot,
    };
    await writeJsonAtomic(join(runDir, 'summary.json'), summary);
    const caption =
      `OREAL demo · seed ${config.seed} · ${describeBackend(backend)} · ${rl.parameterCount.toLocaleString('en-US')} parameters · ` +
      `SFT ${warm.steps} steps (${warm.seconds.toFixed(0)} s${config.sft.teacherCarryDropRate > 0 ? `, imperfect teacher drops the final carry ${Math.round(config.sft.teacherCarryDropRate * 100)}% of the time` : ''}) · RL ${rl.result.steps} steps of ${config.trainer.batchProblems}×${config.trainer.rolloutsPerProblem} rollouts (${rl.seconds.toFixed(0)} s) · wall time ${formatDuration(seconds)} (process CPU ${formatDuration(cpuSeconds)})`;
    await writeFileAtomic(join(runDir, 'summary.md'), `${caption}\n\n${formatMarkdownTable(header, rows)}\n`);
    output.out(`\n${caption}\n\n${formatTable(header, rows)}\n`);
    output.out(`run: ${runDir}${rl.plot ? `\nplot: ${rl.plot.png}` : ''}`);
    if (fleet) {
      await fleet.servers.stop();
      const file = await writeFleetSummary({
        runDir,
        rlDir: join(runDir, 'rl'),
        servers: fleet.servers.servers.length,
        schedule: fleet.config.trainer.weightSync.schedule,
        counts: fleet.counts(),
        before,
        after,
        wallSeconds: (performance.now() - started) / 1000,
      });
      output.out(`fleet-summary: ${file}`);
    }
  } finally {
    signals.dispose();
    await remote?.server.close();
    await fleet?.servers.stop();
  }
}

/**
 * `--fleet n`: start n `oreal serve` processes over the SFT checkpoint and point the RL config at
 * them with weight sync (`oreal` adapter, sync schedule, token ids so the log-prob mismatch is
 * measured per token); every sampler answer is audited for exactly-once delivery.
 */
async function startDemoFleet(
  config: OrealConfig,
  count: number,
  checkpointDir: string,
  runDir: string,
  output: CommandOutput,
) {
  const modelName = 'oreal-demo-sft';
  const servers = await startLocalFleet({
    count,
    checkpoint: checkpointDir,
    modelName,
    cliEntry: cliEntryFile(),
    logDir: join(runDir, 'fleet'),
  });
  output.err(
    `fleet: ${servers.servers.map((s) => s.url).join(', ')} (oreal serve processes; logs in ${join(runDir, 'fleet')})`,
  );
  let audited: ReturnType<typeof withDeliveryAudit> | undefined;
  const fleetConfig: OrealConfig = {
    ...config,
    sampler: {
      ...config.sampler,
      type: 'openai',
      baseUrls: servers.servers.map((s) => `${s.url}/v1`),
      model: modelName,
      mode: 'completions',
      tokenIds: true,
    },
    fleet: { ...config.fleet, weightSync: 'oreal' },
    trainer: { ...config.trainer, weightSync: { ...config.trainer.weightSync, schedule: 'sync' } },
  };
  return {
    config: fleetConfig,
    servers,
    audit: (sampler: Sampler) => (audited = withDeliveryAudit(sampler)),
    counts: () => audited?.counts ?? { rollouts: 0, duplicated: 0, lost: 0, versions: {} },
  };
}

/** The running `oreal` CLI's entry file (the demo starts servers with it). */
function cliEntryFile(): string {
  const entry = process.argv[1];
  if (!entry || !/cli\.(m?js|ts)$/.test(entry))
    throw new ConfigError(
      '--fleet',
      `cannot tell which file runs the oreal CLI (argv[1] is ${JSON.stringify(entry)}); run it as \`node apps/trainer-cli/dist/cli.js demo --fleet 2\``,
    );
  return entry;
}

/**
 * `--engine tinker-local`: serve the SFT checkpoint with `oreal serve --tinker`'s server on
 * 127.0.0.1 (a free port, in this process) and point the RL config's engine at it, so the run
 * goes through the Tinker client, the remote policy and the remote sampler over real HTTP.
 */
async function startLocalTinkerEngine(
  config: OrealConfig,
  checkpointDir: string,
  output: CommandOutput,
): Promise<{ config: OrealConfig; server: RunningTinkerServer }> {
  const baseModel = 'oreal-demo-sft';
  const server = await startTinkerServer({
    checkpoint: checkpointDir,
    baseModel,
    fusedAttention: config.model.attention,
    host: '127.0.0.1',
    port: 0,
  });
  const probe = await loadTransformerPolicy(checkpointDir);
  const parameterCount = probe.parameterCount;
  probe.dispose();
  output.err(
    `engine: Tinker API at ${server.url} (local server over ${checkpointDir}, base model '${baseModel}')`,
  );
  return {
    config: {
      ...config,
      engine: { ...config.engine, type: 'tinker', baseUrl: server.url, baseModel, parameterCount },
    },
    server,
  };
}

function signed(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return `${rounded >= 0 ? '+' : ''}${rounded.toFixed(1)}`;
}
