import { ProblemSchema, type Problem } from '@oreal-ts/core';
import { readJsonlFile } from '@oreal-ts/core/node';
import { generateProblems } from '@oreal-ts/trainer';
import type { OrealConfig } from '../config/schema';

/** Training and held-out problems. */
export interface ProblemSplits {
  readonly train: Problem[];
  readonly test: Problem[];
}

/** Read a JSONL file of `Problem` records; a bad line throws `DataFormatError` naming file:line and field. */
export async function readProblemsFile(file: string): Promise<Problem[]> {
  const records = await readJsonlFile(file, ProblemSchema);
  return records.map((record) => record.value);
}

/**
 * The problems of a config: JSONL files when `data.trainFile`/`data.evalFile` are set, otherwise
 * the built-in generators (seeded, disjoint train/test splits), families interleaved evenly.
 */
export async function loadProblems(config: OrealConfig): Promise<ProblemSplits> {
  const { data } = config;
  const generate = (split: 'train' | 'test', count: number): Problem[] => {
    const perFamily = data.families.map((family, index) =>
      generateProblems({
        family,
        count: Math.ceil((count - index) / data.families.length),
        seed: config.seed,
        split,
        difficulty: data.difficulty,
      }),
    );
    const out: Problem[] = [];
    for (let i = 0; out.length < count; i++) {
      for (const list of perFamily) {
        const item = list[i];
        if (item && out.length < count) out.push(item);
      }
      if (perFamily.every((list) => i >= list.length)) break;
    }
    return out;
  };
  const train = data.trainFile ? await readProblemsFile(data.trainFile) : generate('train', data.trainCount);
  const test = data.evalFile ? await readProblemsFile(data.evalFile) : generate('test', data.evalCount);
  return { train, test };
}
