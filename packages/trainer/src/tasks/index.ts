/** Built-in verifiable maths tasks: seeded generators with step-by-step solutions and disjoint splits. */
export {
  generateProblems,
  splitOf,
  taskAlphabet,
  TEST_SPLIT_SHARE,
  type GenerateProblemsOptions,
} from './generate-problems';
export {
  TASK_FAMILIES,
  TaskDifficultySchema,
  type TaskDifficulty,
  type TaskFamily,
  type TaskSplit,
  type GeneratedTask,
} from './task-family';
export { firstDeparture, firstDepartureMarker } from './first-departure';
export { slipOneStep, type StepSlip } from './step-slip';
export {
  renderWorkedSolution,
  type WorkedComputation,
  type WorkedStep,
  type StepWriter,
} from './worked-computation';
export { additionWork } from './addition';
export { multiplicationWork } from './multiplication';
