// A test policy whose greedy continuation of each prompt is a fixed script, so stop handling,
// batching and early exit can be checked exactly. Logits: 10 on the scripted next token, 0 elsewhere.
import type { DecodingSession, Policy } from '@oreal-ts/core';

export interface ScriptedPolicy extends Policy {
  readonly sessions: { batchSize: number; steps: number[][]; disposed: number }[];
}

/** `respond(promptIds)` gives the ids the model "wants" to emit after that prompt; then EOS (0) forever. */
export function createScriptedPolicy(respond: (promptIds: readonly number[]) => readonly number[], vocabSize = 128, maxSequenceLength = 1000): ScriptedPolicy {
  const sessions: ScriptedPolicy['sessions'] = [];
  const logitsFor = (script: readonly number[], position: number) => {
    const row = new Float32Array(vocabSize);
    row[script[position] ?? 0] = 10;
    return row;
  };
  return {
    specificationVersion: 'v1',
    id: 'test/scripted-policy',
    vocabSize,
    parameterCount: 0,
    maxSequenceLength,
    sessions,
    async logProbs() {
      throw new Error('not used');
    },
    async startDecoding(promptIds): Promise<DecodingSession> {
      const record = { batchSize: promptIds.length, steps: [] as number[][], disposed: 0 };
      sessions.push(record);
      const scripts = promptIds.map((ids) => respond(ids));
      let position = 0;
      return {
        batchSize: promptIds.length,
        prefill: async () => scripts.map((s) => logitsFor(s, 0)),
        step: async (tokenIds) => {
          record.steps.push([...tokenIds]);
          position++;
          return scripts.map((s) => logitsFor(s, position));
        },
        dispose: () => {
          record.disposed++;
        },
      };
    },
    dispose() {},
  };
}

/** Char codes of a string (the fake tokenizer's encoding). */
export const ids = (text: string): number[] => Array.from(text, (c) => c.charCodeAt(0));
