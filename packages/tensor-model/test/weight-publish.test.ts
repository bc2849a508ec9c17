// Weight publication (createCheckpointPublisher) and the safe in-place reload (reloadWeights):
// round trips, deltas, crash leftovers, keep-K, the folder hash, and every reload failure kind
// leaving the old weights bit-identical.
import * as tf from '@tensorflow/tfjs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError } from '@oreal-ts/core';
import {
  createCheckpointPublisher,
  createTransformerPolicy,
  encodeSafetensors,
  float32Sha256,
  loadTransformerPolicy,
  readCheckpointTensors,
  readPublishedVersion,
  type TransformerConfigInput,
  type TransformerPolicy,
} from '../src/index';
import { randomValues, setupBackend } from './support';

const qwen2: TransformerConfigInput = {
  model_type: 'qwen2', vocab_size: 17, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 32,
};

let root: string;
let counter = 0;
const freshDir = async (name: string) => {
  const dir = join(root, `${name}-${counter++}`);
  await mkdir(dir, { recursive: true });
  return dir;
};

beforeAll(async () => {
  await setupBackend();
  root = await mkdtemp(join(tmpdir(), 'tensor-model-publish-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every HF tensor's F32 bytes as a hash map (bit-identity check). */
function weightHashes(policy: TransformerPolicy): Record<string, string> {
  return Object.fromEntries([...policy.huggingFaceWeights()].map(([name, tensor]) => [name, float32Sha256(tensor.data)]));
}

/** Change one HF tensor of `policy` (by a seeded random vector) through a save/reload. */
async function perturb(policy: TransformerPolicy, hfName: string, seed: number): Promise<void> {
  const dir = await freshDir('perturb');
  const weights = policy.huggingFaceWeights();
  const tensor = weights.get(hfName);
  if (!tensor) throw new Error(`no ${hfName}`);
  const noise = randomValues(tensor.data.length, seed, 0.1);
  await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(new Map([[hfName, { shape: tensor.shape, data: tensor.data.map((v, i) => v + (noise[i] as number)) }]])));
  await writeFile(join(dir, 'config.json'), JSON.stringify(policy.configJson()));
  await policy.reloadWeights(dir, { allowPartial: true });
}

describe('createCheckpointPublisher', () => {
  it('publishes a full folder that a fresh loadTransformerPolicy loads bit-identical, with version.json and index.jsonl', async () => {
    const dir = await freshDir('full');
    const policy = createTransformerPolicy(qwen2, { seed: 1 });
    const publisher = createCheckpointPublisher({ policy, dir });
    const published = await publisher.publish(0);
    expect(published).toMatchObject({ version: 0, kind: 'full', path: join(dir, 'policy-v0') });
    expect(published.tensorCount).toBe(policy.huggingFaceWeights().size);
    expect(published.bytes).toBeGreaterThan(policy.parameterCount * 4);
    const loaded = await loadTransformerPolicy(published.path);
    expect(weightHashes(loaded)).toEqual(weightHashes(policy));
    const meta = await readPublishedVersion(published.path);
    expect(meta).toMatchObject({ format: 'oreal-ts/published-weights', version: 0, kind: 'full', sha256: published.sha256 });
    expect(meta.tensors).toEqual(weightHashes(policy));
    const index = (await readFile(join(dir, 'index.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(index).toHaveLength(1);
    expect(index[0]).toMatchObject({ version: 0, sha256: published.sha256, kind: 'full' });
    expect(await publisher.latest()).toEqual(published);
    loaded.dispose();
    policy.dispose();
  });

  it('gives equal weights the same folder sha256 and a changed weight another', async () => {
    const policy = createTransformerPolicy(qwen2, { seed: 2 });
    const a = await createCheckpointPublisher({ policy, dir: await freshDir('hash-a') }).publish(3);
    const b = await createCheckpointPublisher({ policy, dir: await freshDir('hash-b'), maxShardBytes: 2000 }).publish(4);
    expect(b.sha256).toBe(a.sha256);
    await perturb(policy, 'model.layers.1.mlp.up_proj.weight', 5);
    const c = await createCheckpointPublisher({ policy, dir: await freshDir('hash-c') }).publish(5);
    expect(c.sha256).not.toBe(a.sha256);
    policy.dispose();
  });

  it('writes only the changed tensors as a delta that, applied on the base, equals the full', async () => {
    const dir = await freshDir('delta');
    const policy = createTransformerPolicy(qwen2, { seed: 3 });
    const publisher = createCheckpointPublisher({ policy, dir, mode: 'delta' });
    const base = await publisher.publish(0);
    expect(base.kind).toBe('full');
    await perturb(policy, 'model.layers.0.self_attn.q_proj.weight', 7);
    await perturb(policy, 'model.norm.weight', 8);
    const delta = await publisher.publish(1);
    expect(delta).toMatchObject({ kind: 'delta', baseVersion: 0, tensorCount: 2 });
    expect([...(await readCheckpointTensors(delta.path)).keys()].sort()).toEqual(['model.layers.0.self_attn.q_proj.weight', 'model.norm.weight']);
    const full = await createCheckpointPublisher({ policy, dir: await freshDir('delta-full') }).publish(1);
    expect(delta.sha256).toBe(full.sha256);
    const server = await loadTransformerPolicy(base.path);
    const meta = await readPublishedVersion(delta.path);
    expect(await server.reloadWeights(delta.path, { allowPartial: true, tensorSha256: meta.tensors })).toBe(2);
    expect(weightHashes(server)).toEqual(weightHashes(policy));
    server.dispose();
    policy.dispose();
  });

  it('after a restart diffs against the newest readable version, and is full when none is readable', async () => {
    const dir = await freshDir('restart');
    const policy = createTransformerPolicy(qwen2, { seed: 4 });
    await createCheckpointPublisher({ policy, dir, mode: 'delta' }).publish(0);
    await perturb(policy, 'model.norm.weight', 9);
    const resumed = await createCheckpointPublisher({ policy, dir, mode: 'delta' }).publish(1);
    expect(resumed).toMatchObject({ kind: 'delta', baseVersion: 0, tensorCount: 1 });
    await writeFile(join(dir, 'policy-v1', 'version.json'), '{"truncated');
    await writeFile(join(dir, 'policy-v0', 'version.json'), '{}');
    await perturb(policy, 'model.norm.weight', 10);
    const again = await createCheckpointPublisher({ policy, dir, mode: 'delta' }).publish(2);
    expect(again.kind).toBe('full');
    expect(again.tensorCount).toBe(policy.huggingFaceWeights().size);
    policy.dispose();
  });

  it('ignores and removes a crashed publication (temp folder left) in latest(), and refuses a version that is not newer', async () => {
    const dir = await freshDir('crash');
    const policy = createTransformerPolicy(qwen2, { seed: 5 });
    const first = await createCheckpointPublisher({ policy, dir }).publish(1);
    const leftover = join(dir, '.policy-v2.tmp-999999999-abcd1234');
    await mkdir(leftover);
    await writeFile(join(leftover, 'model.safetensors'), 'partial');
    const restarted = createCheckpointPublisher({ policy, dir });
    expect(await restarted.latest()).toEqual(first);
    expect(await readdir(dir)).not.toContain('.policy-v2.tmp-999999999-abcd1234');
    await expect(restarted.publish(1)).rejects.toThrow(/not newer than policy-v1/);
    expect((await restarted.publish(2)).version).toBe(2);
    policy.dispose();
  });

  it('discardNewerThan removes the versions of a cut-off timeline; publishing goes on from the kept one (a delta on it)', async () => {
    const dir = await freshDir('discard');
    const policy = createTransformerPolicy(qwen2, { seed: 9 });
    const publisher = createCheckpointPublisher({ policy, dir, keep: 5, mode: 'delta' });
    for (let v = 0; v <= 3; v++) {
      await perturb(policy, 'model.norm.weight', 20 + v);
      await publisher.publish(v);
    }
    await expect(publisher.publish(2)).rejects.toThrow(/not newer than policy-v3/);
    expect(await publisher.discardNewerThan(1)).toEqual([2, 3]);
    expect((await readdir(dir)).filter((f) => f.startsWith('policy-v')).sort()).toEqual(['policy-v0', 'policy-v1']);
    expect((await publisher.latest())?.version).toBe(1);
    expect(await publisher.discardNewerThan(1)).toEqual([]);
    await perturb(policy, 'model.norm.weight', 30);
    const again = await publisher.publish(2);
    expect(again).toMatchObject({ version: 2, kind: 'delta', baseVersion: 1, tensorCount: 1 });
    const index = (await readFile(join(dir, 'index.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(index.filter((line) => 'discarded' in line)).toEqual([expect.objectContaining({ discarded: [2, 3], keptUpTo: 1 })]);
    await expect(publisher.discardNewerThan(-1)).rejects.toThrow(/version/);
    policy.dispose();
  });

  it('keeps only the newest `keep` versions, BF16 included, without leaking tensors', async () => {
    const dir = await freshDir('keep');
    const policy = createTransformerPolicy(qwen2, { seed: 6 });
    const publisher = createCheckpointPublisher({ policy, dir, keep: 2, dtype: 'BF16' });
    await publisher.publish(0);
    const before = tf.memory().numTensors;
    for (let v = 1; v <= 4; v++) await publisher.publish(v);
    expect(tf.memory().numTensors).toBe(before);
    expect((await readdir(dir)).filter((f) => f.startsWith('policy-v')).sort()).toEqual(['policy-v3', 'policy-v4']);
    expect((await readFile(join(dir, 'index.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(5);
    const loaded = await loadTransformerPolicy(join(dir, 'policy-v4'));
    const meta = await readPublishedVersion(join(dir, 'policy-v4'));
    expect(weightHashes(loaded)).toEqual(meta.tensors);
    loaded.dispose();
    policy.dispose();
  });
});

describe('reloadWeights', () => {
  /** A valid full checkpoint folder of other random weights, and the policy to reload into. */
  async function setup(name: string) {
    const dir = await freshDir(name);
    const other = createTransformerPolicy(qwen2, { seed: 11 });
    await other.save(dir);
    const target = createTransformerPolicy(qwen2, { seed: 12 });
    return { dir, other, target };
  }

  it('replaces every weight in place (generation and log-probs then equal the other model) without leaking tensors', async () => {
    const { dir, other, target } = await setup('reload-ok');
    const before = tf.memory().numTensors;
    await target.reloadWeights(dir);
    expect(tf.memory().numTensors).toBe(before);
    expect(weightHashes(target)).toEqual(weightHashes(other));
    const batch = { promptIds: [[1, 2, 3]], responseIds: [[4, 5]] };
    expect(await target.logProbs(batch)).toEqual(await other.logProbs(batch));
    other.dispose();
    target.dispose();
  });

  const failures: [string, (dir: string, other: TransformerPolicy) => Promise<void>, RegExp, { allowPartial?: boolean }?][] = [
    ['a missing tensor', async (dir, other) => {
      const weights = other.huggingFaceWeights();
      weights.delete('model.norm.weight');
      await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(weights));
    }, /missing tensors: model\.norm\.weight/],
    ['an unexpected tensor (partial)', async (dir) => {
      await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(new Map([['model.layers.9.mlp.up_proj.weight', { shape: [2], data: new Float32Array(2) }]])));
    }, /unexpected tensor model\.layers\.9\.mlp\.up_proj\.weight/, { allowPartial: true }],
    ['a mis-shaped tensor', async (dir, other) => {
      const weights = other.huggingFaceWeights();
      weights.set('model.norm.weight', { shape: [8], data: new Float32Array(8) });
      await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(weights));
    }, /model\.norm\.weight has shape \[8\], expected \[16\]/],
    ['a truncated file', async (dir) => {
      const bytes = await readFile(join(dir, 'model.safetensors'));
      await writeFile(join(dir, 'model.safetensors'), bytes.subarray(0, bytes.length - 40));
    }, /model\.safetensors.*outside the .*data section/],
    ['a non-finite value', async (dir, other) => {
      const weights = other.huggingFaceWeights();
      (weights.get('lm_head.weight') as { data: Float32Array }).data[3] = Number.NaN;
      await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(weights));
    }, /tensor 'lm_head\.weight' holds a non-finite value/],
    ['a config of another model', async (dir, other) => {
      await writeFile(join(dir, 'config.json'), JSON.stringify({ ...other.configJson(), hidden_size: 32 }));
    }, /config\.json: describes another model than the one loaded: hidden 32 ≠ 16/],
    ['a missing config.json', async (dir) => {
      await rm(join(dir, 'config.json'));
    }, /config\.json: cannot read config\.json/],
  ];

  for (const [kind, breakIt, message, options] of failures) {
    it(`refuses ${kind} with a CheckpointError naming the file/tensor and keeps the old weights bit-identical`, async () => {
      const { dir, other, target } = await setup(`reload-${kind.replace(/\W+/g, '-')}`);
      await breakIt(dir, other);
      const hashes = weightHashes(target);
      const error = await target.reloadWeights(dir, options).catch((e: unknown) => e);
      expect(CheckpointError.is(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect(weightHashes(target)).toEqual(hashes);
      other.dispose();
      target.dispose();
    });
  }

  it('refuses a tensor whose bytes do not match the given sha256, keeping the old weights', async () => {
    const { dir, other, target } = await setup('reload-sha');
    const hashes = weightHashes(target);
    const listed = { ...weightHashes(other), 'model.norm.weight': '0'.repeat(64) };
    await expect(target.reloadWeights(dir, { tensorSha256: listed })).rejects.toThrow(/tensor 'model\.norm\.weight' does not match its sha256/);
    expect(weightHashes(target)).toEqual(hashes);
    other.dispose();
    target.dispose();
  });
});
