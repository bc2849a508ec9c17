import { checkpointPhase, type CheckpointInput } from './checkpoint';
import { gradePhase, type GradeInput, type GradeOutput } from './grade';
import { lossPhase, type LossInput, type LossOutput } from './loss';
import { publishPhase, type PublicationRecord, type PublishInput } from './publish';
import { samplePhase, type SampleInput, type SampleOutput } from './sample';
import { selectPhase, type SelectInput, type SelectOutput } from './select';
import { updatePhase, type UpdateInput, type UpdateOutput } from './update';
import { weighTokensPhase, type WeighTokensInput, type WeighTokensOutput } from './weigh-tokens';

export * from './checkpoint';
export * from './grade';
export * from './loss';
export * from './publish';
export * from './sample';
export * from './select';
export * from './update';
export * from './weigh-tokens';

/**
 * The phases of one RL step, in the order a scheduler runs them: sample → grade → select →
 * weigh tokens → loss → update → publish, and checkpoint after the step (and its evaluation).
 * A fork replaces one of them through `createTrainer({ phases: { … } })`.
 */
export interface TrainerPhases {
  sample(input: SampleInput): Promise<SampleOutput>;
  grade(input: GradeInput): Promise<GradeOutput>;
  select(input: SelectInput): SelectOutput | Promise<SelectOutput>;
  weighTokens(input: WeighTokensInput): Promise<WeighTokensOutput>;
  loss(input: LossInput): Promise<LossOutput>;
  update(input: UpdateInput): Promise<UpdateOutput>;
  /** Returns the publication (written to weights.jsonl), or null/nothing when none happened. */
  publish(input: PublishInput): Promise<PublicationRecord | null | void>;
  checkpoint(input: CheckpointInput): Promise<string | null>;
}

/** The built-in phases (the reference OREAL loop). */
export const defaultPhases: TrainerPhases = Object.freeze({
  sample: samplePhase,
  grade: gradePhase,
  select: selectPhase,
  weighTokens: weighTokensPhase,
  loss: lossPhase,
  update: updatePhase,
  publish: publishPhase,
  checkpoint: checkpointPhase,
});

/** The default phases with the given ones replaced. */
export function resolvePhases(overrides: Partial<TrainerPhases> = {}): TrainerPhases {
  return { ...defaultPhases, ...overrides };
}
