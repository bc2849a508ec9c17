/**
 * Weight publication, staleness and the two schedulers (issue 14), with a fake publisher and a
 * fake weight sync, and a "server" sampler that stamps every rollout with the version the fake
 * fleet holds when the request starts (as a real server's `weight_version` would).
 */
import { createFakeTokenRewardModel, createFakeVerifier } from '@oreal-ts/core/testing';
import {
  ConfigError,
  type PublishedWeights,
  type Sampler,
  type WeightPublisher,
  type WeightSync,
} from '@oreal-ts/core';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createTrainer,
  readTrainerState,
  withoutTiming,
  WEIGHTS_LOG_FILE,
  type PublicationRecord,
  type StepMetrics,
  type TrainerConfigInput,
} from '../src/index';
import {
  createFileTabularPolicy,
  createLetterTokenizer,
  createMiniOrealObjective,
  createPolicySampler,
  letterProblems,
  temporaryDirs,
} from './support';

const tempDir = temporaryDirs('oreal-weight-sync-');

/** What the fake publisher has written ("the disk", shared across trainer instances), oldest first. */
interface FakeDisk {
  versions?: PublishedWeights[];
}

interface FakeFleet {
  publisher: WeightPublisher;
  weightSync: WeightSync;
  published: number[];
  synced: number[];
}

function createFakeFleet(disk: FakeDisk = {}): FakeFleet {
  const published: number[] = [];
  const synced: number[] = [];
  let current: number | undefined;
  return {
    published,
    synced,
    publisher: {
      specificationVersion: 'v1',
      id: 'test/fake-publisher',
      async publish(version) {
        const versions = (disk.versions ??= []);
        const newest = versions.at(-1);
        // As the real publisher: versions only grow.
        if (newest && version <= newest.version) throw new Error(`${version} is not newer than v${newest.version}`);
        published.push(version);
        const weights: PublishedWeights = {
          version,
          path: `/weights/policy-v${version}`,
          sha256: `sha-${version}`,
          kind: 'full',
          tensorCount: 1,
          bytes: 40,
        };
        versions.push(weights);
        return weights;
      },
      async latest() {
        return disk.versions?.at(-1);
      },
      async discardNewerThan(version) {
        const versions = (disk.versions ??= []);
        const newer = versions.filter((w) => w.version > version).map((w) => w.version);
        disk.versions = versions.filter((w) => w.version <= version);
        return newer;
      },
    },
    weightSync: {
      async sync(weights) {
        synced.push(weights.version);
        current = weights.version;
        return { version: weights.version, confirmed: ['http://127.0.0.1:1'], failed: [], seconds: 0 };
      },
      get currentVersion() {
        return current;
      },
    },
  };
}

interface SampleCall {
  problems: string[];
  seed: number | undefined;
  version: number | undefined;
}

/**
 * A server-like sampler: rollouts from its own frozen weights (so they depend only on the seed),
 * each stamped with the fleet's version at the start of the request (or `staleVersion` for the
 * rollouts `isStale` picks). `failOnCall` makes that call (1-based) reject.
 */
function createServerSampler(
  fleet: FakeFleet,
  options: {
    events?: string[];
    isStale?: (problemId: string, sampleIndex: number) => boolean;
    failOnCall?: number;
  } = {},
): Sampler & { calls: SampleCall[] } {
  const tokenizer = createLetterTokenizer();
  const serverPolicy = createFileTabularPolicy({ vocabSize: tokenizer.vocabSize, id: 'server' });
  const inner = createPolicySampler(serverPolicy, tokenizer, options.events);
  const calls: SampleCall[] = [];
  return {
    specificationVersion: 'v1',
    id: 'test/server-sampler',
    calls,
    async sample(problems, sampleOptions) {
      const version = fleet.weightSync.currentVersion;
      calls.push({ problems: problems.map((p) => p.id), seed: sampleOptions.seed, version });
      if (calls.length === options.failOnCall) throw new Error(`server refused call ${calls.length}`);
      const groups = await inner.sample(problems, sampleOptions);
      return groups.map((group) => ({
        ...group,
        rollouts: group.rollouts.map((rollout) => ({
          ...rollout,
          policyVersion: options.isStale?.(rollout.problemId, rollout.sampleIndex) ? 0 : version,
        })),
      }));
    },
  };
}

const baseConfig: TrainerConfigInput = {
  seed: 5,
  steps: 5,
  batchProblems: 3,
  rolloutsPerProblem: 4,
  actorFreezeSteps: 1,
  sampling: { maxNewTokens: 6 },
  evalEvery: 0,
  evalSamplesPerProblem: 1,
  checkpoint: { every: 0, atEnd: false, onAbort: true },
  trajectoryDumpEvery: 0,
  logEvery: 0,
};

function build(options: {
  runDir: string;
  fleet?: FakeFleet;
  sampler?: Sampler;
  config?: Partial<TrainerConfigInput>;
  onStep?: (m: StepMetrics) => void;
  events?: string[];
  evalProblems?: boolean;
}) {
  const tokenizer = createLetterTokenizer();
  const policy = createFileTabularPolicy({
    vocabSize: tokenizer.vocabSize,
    learningRate: 0.3,
    ...(options.events ? { events: options.events } : {}),
  });
  const reference = createFileTabularPolicy({ vocabSize: tokenizer.vocabSize, id: 'reference' });
  const trainer = createTrainer({
    tokenizer,
    policy,
    reference,
    sampler: options.sampler ?? createPolicySampler(policy, tokenizer),
    verifier: createFakeVerifier({ decide: (_problem, text) => /[ab]/.test(text) }),
    objective: createMiniOrealObjective(),
    tokenRewardModel: createFakeTokenRewardModel(),
    problems: letterProblems(7),
    ...(options.evalProblems ? { evalProblems: letterProblems(2) } : {}),
    runDir: options.runDir,
    config: { ...baseConfig, ...options.config },
    ...(options.fleet ? { publisher: options.fleet.publisher, weightSync: options.fleet.weightSync } : {}),
    hooks: { onStep: (m) => options.onStep?.(m) },
  });
  return { trainer, policy };
}

async function jsonLines<T>(file: string): Promise<T[]> {
  const text = await readFile(file, 'utf8');
  return text
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

async function stepLines(runDir: string): Promise<StepMetrics[]> {
  return (await jsonLines<StepMetrics>(join(runDir, 'metrics.jsonl'))).filter((line) => line.type === 'step');
}

describe('weight publication (sync schedule)', () => {
  it('publishes v0 before the first step and every update after; every rollout is current; weights.jsonl records each', async () => {
    const runDir = await tempDir();
    const fleet = createFakeFleet();
    const sampler = createServerSampler(fleet);
    const { trainer } = build({ runDir, fleet, sampler });
    await trainer.run();
    expect(fleet.published).toEqual([0, 1, 2, 3, 4]); // step 1 is actor-frozen
    expect(fleet.synced).toEqual(fleet.published);
    expect(sampler.calls.map((c) => c.version)).toEqual([0, 0, 1, 2, 3]);
    const steps = await stepLines(runDir);
    expect(steps.map((s) => s.policyVersion)).toEqual([0, 0, 1, 2, 3]);
    expect(steps.map((s) => s.stalenessMax)).toEqual([0, 0, 0, 0, 0]);
    expect(steps.map((s) => s.stalenessMean)).toEqual([0, 0, 0, 0, 0]);
    expect(steps.every((s) => s.rolloutsWithoutVersion === 0 && !('rolloutsDroppedStale' in s))).toBe(true);
    const log = await jsonLines<PublicationRecord>(join(runDir, WEIGHTS_LOG_FILE));
    expect(log.map((r) => [r.reason, r.version, r.step])).toEqual([
      ['start', 0, 0],
      ['step', 1, 2],
      ['step', 2, 3],
      ['step', 3, 4],
      ['step', 4, 5],
    ]);
    expect(log[1]).toMatchObject({
      path: '/weights/policy-v1',
      sha256: 'sha-1',
      kind: 'full',
      bytes: 40,
      reused: false,
      confirmed: ['http://127.0.0.1:1'],
      failed: [],
    });
    expect(log.every((r) => typeof r.syncSeconds === 'number' && r.publishSeconds >= 0)).toBe(true);
  });

  it('every: 2 publishes at even versions and brings the servers up to date before an evaluation', async () => {
    const runDir = await tempDir();
    const fleet = createFakeFleet();
    const sampler = createServerSampler(fleet);
    const { trainer } = build({
      runDir,
      fleet,
      sampler,
      evalProblems: true,
      config: { weightSync: { every: 2 }, evalEvery: 5, evalAtStart: false },
    });
    await trainer.run();
    // versions after steps 1..5: 0,1,2,3,4 → published at 2 and 4; the final eval finds the fleet current
    expect(fleet.published).toEqual([0, 2, 4]);
    const steps = await stepLines(runDir);
    expect(steps.map((s) => s.stalenessMax)).toEqual([0, 0, 1, 0, 1]);
    const beforeEval = createFakeFleet();
    const second = build({
      runDir: await tempDir(),
      fleet: beforeEval,
      sampler: createServerSampler(beforeEval),
      evalProblems: true,
      config: { weightSync: { every: 2 }, steps: 4, evalEvery: 4, evalAtStart: false },
    });
    await second.trainer.run();
    expect(beforeEval.published).toEqual([0, 2, 3]); // v3 published for the evaluation after step 4
  });

  it('publishing without a weight sync only writes the folders; no publisher writes nothing and no staleness fields', async () => {
    const runDir = await tempDir();
    const fleet = createFakeFleet();
    const tokenizer = createLetterTokenizer();
    const policy = createFileTabularPolicy({ vocabSize: tokenizer.vocabSize });
    const trainer = createTrainer({
      tokenizer,
      policy,
      reference: createFileTabularPolicy({ vocabSize: tokenizer.vocabSize, id: 'reference' }),
      sampler: createPolicySampler(policy, tokenizer),
      verifier: createFakeVerifier({ decide: (_problem, text) => /[ab]/.test(text) }),
      objective: createMiniOrealObjective(),
      problems: letterProblems(7),
      runDir,
      config: { ...baseConfig, steps: 3 },
      publisher: fleet.publisher,
    });
    await trainer.run();
    expect(fleet.published).toEqual([0, 1, 2]);
    const log = await jsonLines<PublicationRecord>(join(runDir, WEIGHTS_LOG_FILE));
    expect(log.map((r) => [r.syncSeconds, r.confirmed])).toEqual([
      [null, []],
      [null, []],
      [null, []],
    ]);

    const localDir = await tempDir();
    await build({ runDir: localDir }).trainer.run();
    await expect(readFile(join(localDir, WEIGHTS_LOG_FILE), 'utf8')).rejects.toThrow();
    expect((await stepLines(localDir)).some((s) => 'stalenessMean' in s || 'policyVersion' in s)).toBe(false);
  });

  it('refuses a weight sync without a publisher', async () => {
    const fleet = createFakeFleet();
    const tokenizer = createLetterTokenizer();
    const policy = createFileTabularPolicy({ vocabSize: tokenizer.vocabSize });
    expect(() =>
      createTrainer({
        tokenizer,
        policy,
        sampler: createPolicySampler(policy, tokenizer),
        verifier: createFakeVerifier({ decide: () => true }),
        objective: {
          ...createMiniOrealObjective(),
          requires: { referenceLogProbs: false, oldLogProbs: false, tokenWeights: false },
        },
        problems: letterProblems(2),
        runDir: '/tmp/unused',
        config: {},
        weightSync: fleet.weightSync,
      }),
    ).toThrow(ConfigError);
  });
});

describe('async schedule', () => {
  it('samples step t+1 before step t’s update resolves', async () => {
    const events: string[] = [];
    const fleet = createFakeFleet();
    const sampler = createServerSampler(fleet, { events });
    const { trainer } = build({
      runDir: await tempDir(),
      fleet,
      sampler,
      events,
      config: { weightSync: { schedule: 'async' }, steps: 4, actorFreezeSteps: 0 },
    });
    await trainer.run();
    const relevant = events.filter((e) => e === 'sampler.sample' || e === 'policy.applyGradients');
    const sampleAt = relevant.flatMap((e, i) => (e === 'sampler.sample' ? [i] : []));
    const updateAt = relevant.flatMap((e, i) => (e === 'policy.applyGradients' ? [i] : []));
    expect(sampleAt).toHaveLength(4);
    expect(updateAt.length).toBeGreaterThanOrEqual(3);
    for (let t = 0; t + 1 < sampleAt.length && t < updateAt.length; t++)
      expect(sampleAt[t + 1]).toBeLessThan(updateAt[t] as number);
    // the sync schedule, for contrast, samples step t+1 only after step t's update
    const syncEvents: string[] = [];
    const syncFleet = createFakeFleet();
    await build({
      runDir: await tempDir(),
      fleet: syncFleet,
      sampler: createServerSampler(syncFleet, { events: syncEvents }),
      events: syncEvents,
      config: { steps: 4, actorFreezeSteps: 0 },
    }).trainer.run();
    const order = syncEvents.filter((e) => e === 'sampler.sample' || e === 'policy.applyGradients');
    expect(order.slice(0, 4)).toEqual([
      'sampler.sample',
      'policy.applyGradients',
      'sampler.sample',
      'policy.applyGradients',
    ]);
  });

  it('keeps staleness within maxStaleness (one step behind while it overlaps) and draws the same problems and seeds as sync', async () => {
    const fleet = createFakeFleet();
    const sampler = createServerSampler(fleet);
    const runDir = await tempDir();
    await build({
      runDir,
      fleet,
      sampler,
      config: { weightSync: { schedule: 'async', maxStaleness: 1 } },
    }).trainer.run();
    const steps = await stepLines(runDir);
    expect(steps.every((s) => (s.stalenessMax as number) <= 1)).toBe(true);
    expect(steps.map((s) => s.stalenessMax)).toEqual([0, 0, 1, 1, 1]); // steps 3–5 were sampled before the previous update
    expect(steps.every((s) => s.rolloutsDroppedStale === 0)).toBe(true);

    // a local sampler: the same problems and seeds, step for step, as the sync schedule
    const record = (inner: Sampler, into: SampleCall[]): Sampler => ({
      ...inner,
      sample: (problems, options) => {
        into.push({ problems: problems.map((p) => p.id), seed: options.seed, version: undefined });
        return inner.sample(problems, options);
      },
    });
    const plans: SampleCall[][] = [];
    for (const schedule of ['sync', 'async'] as const) {
      const calls: SampleCall[] = [];
      const tokenizer = createLetterTokenizer();
      const policy = createFileTabularPolicy({ vocabSize: tokenizer.vocabSize, learningRate: 0.3 });
      await createTrainer({
        tokenizer,
        policy,
        reference: createFileTabularPolicy({ vocabSize: tokenizer.vocabSize, id: 'reference' }),
        sampler: record(createPolicySampler(policy, tokenizer), calls),
        verifier: createFakeVerifier({ decide: (_problem, text) => /[ab]/.test(text) }),
        objective: createMiniOrealObjective(),
        problems: letterProblems(7),
        runDir: await tempDir(),
        config: { ...baseConfig, weightSync: { schedule } },
      }).run();
      plans.push(calls);
    }
    expect(plans[0]).toHaveLength(5);
    expect(plans[1]).toEqual(plans[0]);
  });

  it('drops rollouts staler than maxStaleness before grading, skips groups left empty, and counts both', async () => {
    const fleet = createFakeFleet();
    // sample 0 of every problem, and every sample of p0, come from version 0 forever
    const sampler = createServerSampler(fleet, {
      isStale: (problemId, sampleIndex) => sampleIndex === 0 || problemId === 'p0',
    });
    const runDir = await tempDir();
    await build({
      runDir,
      fleet,
      sampler,
      config: { steps: 8, weightSync: { schedule: 'async', maxStaleness: 1 } },
    }).trainer.run();
    const steps = await stepLines(runDir);
    expect(steps).toHaveLength(8);
    steps.forEach((s, index) => {
      const problems = sampler.calls[index]!.problems;
      const p0 = problems.filter((id) => id === 'p0').length;
      const stale = (s.policyVersion as number) - 0 > 1;
      expect(s.rolloutsDroppedStale).toBe(stale ? p0 * 4 + (problems.length - p0) : 0);
      expect(s.groupsDroppedStale).toBe(stale ? p0 : 0);
      expect(s.rollouts).toBe(problems.length * 4 - (s.rolloutsDroppedStale as number));
      expect(s.stalenessMax as number).toBeLessThanOrEqual(1);
    });
    expect(steps.some((s) => (s.groupsDroppedStale as number) > 0)).toBe(true);
    expect(steps.some((s) => (s.rolloutsDroppedStale as number) > 0)).toBe(true);
  });

  it('surfaces an error of the prefetched sample at the next step, which then retries the same batch', async () => {
    const fleet = createFakeFleet();
    const sampler = createServerSampler(fleet, { failOnCall: 2 });
    const { trainer } = build({
      runDir: await tempDir(),
      fleet,
      sampler,
      config: { weightSync: { schedule: 'async' } },
    });
    await trainer.step();
    const after1 = trainer.state.cursor;
    await expect(trainer.step()).rejects.toThrow('server refused call 2');
    expect(trainer.state.step).toBe(1);
    expect(trainer.state.cursor).toEqual(after1);
    await trainer.step();
    expect(trainer.state.step).toBe(2);
    expect(sampler.calls[2]!.problems).toEqual(sampler.calls[1]!.problems);
    expect(sampler.calls[2]!.seed).toBe(sampler.calls[1]!.seed);
  });

  it('an abort discards the prefetched batch without moving the saved cursor; a resume continues exactly', async () => {
    const strip = (line: unknown) => {
      const { stalenessMean: _a, stalenessMax: _b, ...rest } = withoutTiming(line as StepMetrics);
      return rest;
    };
    const straightDir = await tempDir();
    const straightFleet = createFakeFleet();
    const straightSampler = createServerSampler(straightFleet);
    await build({
      runDir: straightDir,
      fleet: straightFleet,
      sampler: straightSampler,
      config: { weightSync: { schedule: 'async' } },
    }).trainer.run();

    const syncDir = await tempDir();
    const syncFleet = createFakeFleet();
    const syncTwo = build({
      runDir: syncDir,
      fleet: syncFleet,
      sampler: createServerSampler(syncFleet),
      config: { steps: 5 },
    });
    await syncTwo.trainer.step();
    await syncTwo.trainer.step();

    const splitDir = await tempDir();
    const disk: FakeDisk = {};
    const firstFleet = createFakeFleet(disk);
    const controller = new AbortController();
    const firstSampler = createServerSampler(firstFleet);
    const first = build({
      runDir: splitDir,
      fleet: firstFleet,
      sampler: firstSampler,
      config: { weightSync: { schedule: 'async' } },
      onStep: (m) => m.step === 2 && controller.abort(),
    });
    const stopped = await first.trainer.run({ signal: controller.signal });
    expect(stopped).toMatchObject({ stoppedBy: 'aborted', steps: 2 });
    expect(firstSampler.calls).toHaveLength(3); // step 3 was prefetched, then discarded
    const saved = await readTrainerState(stopped.checkpoint as string);
    expect(saved.cursor).toEqual(syncTwo.trainer.state.cursor);

    const secondFleet = createFakeFleet(disk);
    const secondSampler = createServerSampler(secondFleet);
    const second = build({
      runDir: splitDir,
      fleet: secondFleet,
      sampler: secondSampler,
      config: { weightSync: { schedule: 'async' } },
    });
    await second.trainer.resume();
    await second.trainer.run();
    expect(secondFleet.published).toEqual([2, 3, 4]); // v1, the resumed version, was on disk: reused, not rewritten
    expect(secondFleet.synced).toEqual([1, 2, 3, 4]);
    const log = await jsonLines<PublicationRecord>(join(splitDir, WEIGHTS_LOG_FILE));
    expect(log.find((r) => r.reason === 'resume')).toMatchObject({
      version: 1,
      reused: true,
      publishSeconds: 0,
    });
    expect(secondSampler.calls[0]).toMatchObject({
      problems: straightSampler.calls[2]!.problems,
      seed: straightSampler.calls[2]!.seed,
    });
    expect((await stepLines(splitDir)).map(strip)).toEqual((await stepLines(straightDir)).map(strip));
  });

  it('a resume from a checkpoint older than the last publication discards the newer versions and goes on', async () => {
    const strip = (line: unknown) => withoutTiming(line as StepMetrics);
    const straightDir = await tempDir();
    const straightFleet = createFakeFleet();
    await build({ runDir: straightDir, fleet: straightFleet, sampler: createServerSampler(straightFleet), config: { steps: 6 } }).trainer.run();

    const runDir = await tempDir();
    const disk: FakeDisk = {};
    const firstFleet = createFakeFleet(disk);
    const controller = new AbortController();
    const first = build({
      runDir,
      fleet: firstFleet,
      sampler: createServerSampler(firstFleet),
      // The only checkpoint is step 3's; steps 4 and 5 publish before the run is cut off.
      config: { steps: 6, checkpoint: { every: 3, onAbort: false, atEnd: false } },
      onStep: (m) => m.step === 5 && controller.abort(),
    });
    expect(await first.trainer.run({ signal: controller.signal })).toMatchObject({ stoppedBy: 'aborted' });
    expect(firstFleet.published).toEqual([0, 1, 2, 3, 4]);

    const secondFleet = createFakeFleet(disk);
    const second = build({ runDir, fleet: secondFleet, sampler: createServerSampler(secondFleet), config: { steps: 6 } });
    await second.trainer.resume();
    expect(second.trainer.state.step).toBe(3);
    const resumed = second.trainer.state.policyUpdates;
    const cutOff = firstFleet.published.filter((v) => v > resumed);
    expect(cutOff.length).toBeGreaterThan(0); // the case under test: versions newer than the checkpoint exist
    await second.trainer.run();
    // The resumed version is reused; the cut-off timeline's versions are discarded and written again.
    expect(secondFleet.published).toEqual(straightFleet.published.filter((v) => v > resumed));
    expect(secondFleet.synced).toEqual([resumed, ...secondFleet.published]);
    expect(disk.versions?.map((w) => w.version)).toEqual(straightFleet.published);
    const log = await jsonLines<PublicationRecord>(join(runDir, WEIGHTS_LOG_FILE));
    expect(log.find((r) => r.reason === 'resume')).toMatchObject({ version: resumed, reused: true, discarded: cutOff });
    expect((await stepLines(runDir)).map(strip)).toEqual((await stepLines(straightDir)).map(strip));
  });

  it('after a resume whose version is not on disk, publishes it anew', async () => {
    const runDir = await tempDir();
    const fleet = createFakeFleet();
    const first = build({
      runDir,
      fleet,
      sampler: createServerSampler(fleet),
      config: { steps: 3, checkpoint: { every: 1 } },
    });
    await first.trainer.run();
    const fresh = createFakeFleet(); // another publisher folder: nothing on disk
    const second = build({
      runDir,
      fleet: fresh,
      sampler: createServerSampler(fresh),
      config: { steps: 4, checkpoint: { every: 1 } },
    });
    await second.trainer.resume();
    await second.trainer.run();
    expect(fresh.published).toEqual([2, 3]);
    const log = await jsonLines<PublicationRecord>(join(runDir, WEIGHTS_LOG_FILE));
    expect(log.map((r) => r.reason)).toEqual(['start', 'step', 'step', 'resume', 'step']);
  });
});
