/** Input of the checkpoint phase: where the run stands and how to write a checkpoint. */
export interface CheckpointInput {
  readonly step: number;
  /** `config.checkpoint.every` (0 turns periodic checkpoints off). */
  readonly every: number;
  /** Step of the last checkpoint written or resumed from (null when none). */
  readonly lastCheckpointStep: number | null;
  /** Writes a checkpoint of the current state with the given reason and returns its folder. */
  readonly save: (reason: string) => Promise<string>;
}

/**
 * Checkpoint phase: write the periodic checkpoint every `every` steps, unless this step already
 * has one (an improved evaluation may have saved it as the best). Returns the folder or null.
 */
export async function checkpointPhase(input: CheckpointInput): Promise<string | null> {
  if (input.lastCheckpointStep === input.step || input.every <= 0 || input.step % input.every !== 0)
    return null;
  return input.save('periodic');
}
