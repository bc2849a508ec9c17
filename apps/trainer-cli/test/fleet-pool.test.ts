// The fleet as an OpenAI sampler's server pool (apps compose packages; @oreal-ts/fleet itself depends on core only).
// The fake servers are the fleet package's test fakes.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Problem, PublishedWeights } from '@oreal-ts/core';
import { WeightSyncError } from '@oreal-ts/core';
import { createOpenAISampler } from '@oreal-ts/sampler';
import { createFleet, createOrealServeTarget, type Fleet } from '@oreal-ts/fleet';
import { orealServeRoutes, startFakeServer, type FakeServer } from '../../../packages/fleet/test/fake-servers';

const open: { servers: FakeServer[]; fleets: Fleet[] } = { servers: [], fleets: [] };
afterEach(async () => {
  for (const fleet of open.fleets.splice(0)) fleet.close();
  await Promise.all(open.servers.splice(0).map((s) => s.close().catch(() => undefined)));
});

const weights = (version: number): PublishedWeights => ({
  version,
  path: `/runs/x/weights/policy-v${version}`,
  sha256: 'ab'.repeat(32),
  kind: 'full',
  tensorCount: 3,
  bytes: 100,
});
const problems: Problem[] = Array.from({ length: 8 }, (_, i) => ({
  id: `p${i}`,
  question: `q${i}`,
  answer: String(i),
}));

async function fakeOreal(state: Parameters<typeof orealServeRoutes>[0]) {
  const server = await startFakeServer(orealServeRoutes(state));
  open.servers.push(server);
  return server;
}

function fleetOf(servers: FakeServer[], logs: string[] = [], probeIntervalMs = 20) {
  const fleet = createFleet({
    targets: servers.map((s) => createOrealServeTarget({ baseUrl: s.url, timeoutMs: 2000 })),
    concurrencyPerServer: 2,
    probeIntervalMs,
    logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
  });
  open.fleets.push(fleet);
  return fleet;
}

function samplerOver(fleet: Fleet) {
  return createOpenAISampler({
    baseUrls: fleet.urls,
    model: 'tiny',
    mode: 'completions',
    pool: fleet,
    versionOfResponse: (url, body) => fleet.versionOfResponse(url, body),
    maxRetries: 6,
    timeoutMs: 2000,
    backoff: { initialMs: 5, maxMs: 20 },
  });
}

/** Every (problem, sampleIndex) exactly once. */
function deliveredKeys(groups: Awaited<ReturnType<ReturnType<typeof samplerOver>['sample']>>): string[] {
  return groups.flatMap((g) => g.rollouts.map((r) => `${r.problemId}/${r.sampleIndex}`)).sort();
}
const expectedKeys = (n: number) =>
  problems.flatMap((p) => Array.from({ length: n }, (_, k) => `${p.id}/${k}`)).sort();

describe('createFleet with oreal serve targets', () => {
  it('gives no work before the first sync, then only to servers that confirmed the version', async () => {
    const a = await fakeOreal({ version: null });
    const b = await fakeOreal({ version: null });
    const fleet = fleetOf([a, b]);
    expect(fleet.currentVersion).toBeUndefined();
    const report = await fleet.sync(weights(0));
    expect(report).toMatchObject({ version: 0, confirmed: [a.url, b.url], failed: [] });
    expect(fleet.currentVersion).toBe(0);
    const groups = await samplerOver(fleet).sample(problems, {
      n: 4,
      temperature: 1,
      topP: 1,
      maxNewTokens: 8,
      seed: 1,
    });
    expect(deliveredKeys(groups)).toEqual(expectedKeys(4));
    expect(new Set(groups.flatMap((g) => g.rollouts.map((r) => r.policyVersion)))).toEqual(new Set([0]));
    // Both servers got work.
    expect(a.received.some((r) => r.path === '/v1/completions')).toBe(true);
    expect(b.received.some((r) => r.path === '/v1/completions')).toBe(true);
    expect([...a.badRequests, ...b.badRequests]).toEqual([]);
  });

  it('delivers every rollout exactly once, with its version, when a server dies mid-request', async () => {
    let killed = false;
    const stateA: Parameters<typeof orealServeRoutes>[0] = { version: null, delayMs: 40 };
    const a = await fakeOreal(stateA);
    const b = await fakeOreal({ version: null, delayMs: 5 });
    stateA.onCompletion = () => {
      if (killed) return;
      killed = true;
      setTimeout(() => void a.kill(), 10); // while its requests are in flight
    };
    const logs: string[] = [];
    const fleet = fleetOf([a, b], logs, 10_000);
    await fleet.sync(weights(3));
    const groups = await samplerOver(fleet).sample(problems, {
      n: 3,
      temperature: 1,
      topP: 1,
      maxNewTokens: 8,
      seed: 2,
    });
    expect(killed).toBe(true);
    expect(deliveredKeys(groups)).toEqual(expectedKeys(3));
    expect(groups.every((g) => g.rollouts.every((r) => r.policyVersion === 3))).toBe(true);
    expect(fleet.status().find((s) => s.baseUrl === a.url)?.state).toBe('down');
    expect(logs.some((l) => l.startsWith(`fleet: ${a.url} is down`))).toBe(true);
  });

  it('brings a server that comes back to the current version before it gets work', async () => {
    const a = await fakeOreal({ version: null });
    const b = await fakeOreal({ version: null });
    const logs: string[] = [];
    const fleet = fleetOf([a, b], logs, 20);
    await fleet.sync(weights(1));
    await a.kill();
    fleet.reportFailure(`${a.url}/v1`, 'connection refused');
    await fleet.sync(weights(2)); // only b confirms; a is down
    expect(fleet.status().map((s) => [s.state, s.version])).toEqual([
      ['down', 1],
      ['up', 2],
    ]);
    a.received.length = 0;
    await a.restart();
    await vi.waitFor(() => expect(fleet.status()[0]).toMatchObject({ state: 'up', version: 2 }), {
      timeout: 2000,
      interval: 10,
    });
    expect(logs).toContain(`fleet: ${a.url} rejoined at version 2`);
    await samplerOver(fleet).sample(problems, { n: 2, temperature: 1, topP: 1, maxNewTokens: 8, seed: 3 });
    const order = a.received.map((r) => `${r.method} ${r.path}`);
    const firstCompletion = order.indexOf('POST /v1/completions');
    expect(firstCompletion).toBeGreaterThan(order.indexOf('POST /v1/load_weights'));
    expect(a.received.find((r) => r.path === '/v1/load_weights')?.body).toEqual({
      path: weights(2).path,
      version: 2,
    });
  });

  it('a server that fails to load leaves the pool with a log line; the rest carry on', async () => {
    const a = await fakeOreal({
      version: null,
      failLoad: 'tensor model.embed_tokens.weight has shape [3, 4], expected [5, 4]',
    });
    const b = await fakeOreal({ version: null });
    const logs: string[] = [];
    const fleet = fleetOf([a, b], logs);
    const report = await fleet.sync(weights(0));
    expect(report.confirmed).toEqual([b.url]);
    expect(report.failed).toHaveLength(1);
    expect(report.failed[0]?.reason).toMatch(/embed_tokens.*shape/);
    expect(
      logs.some(
        (l) =>
          l.startsWith(`fleet: ${a.url} left the pool: `) && l.includes('could not load policy version 0'),
      ),
    ).toBe(true);
    const groups = await samplerOver(fleet).sample(problems.slice(0, 3), {
      n: 2,
      temperature: 1,
      topP: 1,
      maxNewTokens: 8,
    });
    expect(groups.flatMap((g) => g.rollouts)).toHaveLength(6);
    expect(a.received.filter((r) => r.path === '/v1/completions')).toHaveLength(0);
  });

  it('rejects a sync no server confirmed, and sampling when every server left', async () => {
    const a = await fakeOreal({ version: null, failLoad: 'config.json missing' });
    const fleet = fleetOf([a]);
    await expect(fleet.sync(weights(0))).rejects.toThrow(WeightSyncError);
    await expect(fleet.acquire()).rejects.toThrow(/every server left the pool/);
  });

  it('stops its probe timer on close()', async () => {
    vi.useFakeTimers();
    try {
      const fleet = createFleet({
        targets: [createOrealServeTarget({ baseUrl: 'http://127.0.0.1:9' })],
        probeIntervalMs: 50,
        logger: { info: () => undefined, warn: () => undefined },
      });
      fleet.reportFailure('http://127.0.0.1:9/v1', 'refused'); // down already: no timer from this
      const waiting = fleet.acquire().catch((error: unknown) => error);
      // Sync fails on the transport, marks it down, which starts the probe.
      await fleet.sync(weights(0)).catch(() => undefined);
      expect(vi.getTimerCount()).toBeGreaterThan(0);
      fleet.close();
      expect(vi.getTimerCount()).toBe(0);
      expect(await waiting).toBeInstanceOf(Error);
    } finally {
      vi.useRealTimers();
    }
  });
});
