/**
 * Issue 5's "Done when": the trainer's sampler swaps from the local policy to an OpenAI-compatible
 * server by changing ONE config line. The same checkpoint is served by `oreal serve`'s server on
 * 127.0.0.1 (real sockets); the same held-out problems go through both samplers.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { loadTokenizer, loadTransformerPolicy } from '@oreal-ts/tensor-model';
import { evaluatePassAt1 } from '@oreal-ts/trainer';
import { loadConfig } from '../src/config/load-config';
import { createComponentsFromConfig } from '../src/compose/create-components';
import { startServer } from '../src/serve/index';
import { tinyConfig } from './support/tiny-config';
import { temporaryDirs } from './support/temporary-dirs';

const tempDir = temporaryDirs();

describe('local ↔ HTTP sampler swap', () => {
  it('gives the same greedy responses and verdicts when only sampler.type changes', async () => {
    const checkpoint = inject('sftCheckpoint');
    const dir = await tempDir('oreal-swap-');
    const served = await loadTransformerPolicy(checkpoint, {});
    const server = await startServer({
      policy: served,
      tokenizer: await loadTokenizer(checkpoint),
      modelName: 'tiny',
      host: '127.0.0.1',
      port: 0,
    });
    try {
      const base = tinyConfig({ runsDir: join(dir, 'runs'), checkpoint });
      const yaml = stringify({
        ...base,
        sampler: { type: 'local', baseUrls: [`${server.url}/v1`], model: 'tiny', mode: 'completions' },
      });
      const localFile = join(dir, 'local.yaml');
      const httpFile = join(dir, 'http.yaml');
      await writeFile(localFile, yaml);
      const swapped = yaml.replace('type: local', 'type: openai');
      await writeFile(httpFile, swapped);
      // Exactly one line differs.
      const a = (await readFile(localFile, 'utf8')).split('\n');
      const b = (await readFile(httpFile, 'utf8')).split('\n');
      expect(a.filter((line, i) => line !== b[i])).toEqual(['  type: local']);

      const results = [];
      for (const file of [localFile, httpFile]) {
        const config = await loadConfig({ file });
        const components = await createComponentsFromConfig(config);
        try {
          const problems = components.evalProblems;
          const groups = await components.sampler.sample(problems, {
            n: 1,
            temperature: 0,
            topP: 1,
            maxNewTokens: config.trainer.sampling.maxNewTokens,
            seed: 1,
          });
          const metrics = await evaluatePassAt1({
            sampler: components.sampler,
            verifier: components.verifier,
            problems,
            sampling: { maxNewTokens: config.trainer.sampling.maxNewTokens },
            seed: 1,
            sampled: false,
          });
          results.push({
            id: components.sampler.id,
            texts: groups.map((g) => g.rollouts[0]?.text),
            greedy: metrics.greedyPassAt1,
          });
        } finally {
          await components.dispose();
        }
      }
      const [local, http] = results;
      expect(local?.id).not.toBe(http?.id);
      expect(local?.texts.length).toBe(8);
      expect(http?.texts).toEqual(local?.texts);
      expect(http?.greedy).toBe(local?.greedy);
    } finally {
      await server.close();
      served.dispose();
    }
  });
});
