export {
  type CallMethod,
  type CallRecipe,
  CORRUPTIONS,
  type Corruption,
  type FuzzDtype,
  type GroupRecipe,
  type LossTargetForm,
  type OutChoice,
  type ReductionChoice,
  type Storage,
  type ValueStyle,
} from './CallRecipe.js';
export { DOCUMENTED_CODES } from './documentedCodes.js';
export { FuzzTally } from './FuzzTally.js';
export { type FindingSummary, formatFindings, fuzzBackend } from './fuzzBackend.js';
export { CI_SEED, type FuzzSettings, fuzzSettings } from './fuzzSettings.js';
export { firstChangedByte, heldArray, snapshotBuffer } from './heldArray.js';
export { type LiveCall, materialize, type Watched } from './materialize.js';
export { type Outcome, settleWithin } from './Outcome.js';
export { nextValue, type ProblemValues, perSampleOutput, problemValues } from './problemValues.js';
export {
  callRecipeArbitrary,
  type FuzzApi,
  groupRecipeArbitrary,
  THREADED_ELEMENTS,
} from './recipeArbitrary.js';
export { type Finding, type FindingKind, type GroupContext, runGroup } from './runGroup.js';
export { seededStream } from './seededStream.js';
