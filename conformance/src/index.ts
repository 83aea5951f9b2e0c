export { createReferenceBackend, REFERENCE_CAPABILITIES, referenceKernel } from '@mlml/core-spec';
export {
  type AgreementOptions,
  assertAgreesWithReference,
  compareWithReference,
  type RandomCall,
  randomCallArbitrary,
} from './agreement.js';
export {
  BUILTIN_FIXTURE_FILES,
  BUILTIN_LARGE_FIXTURE_FILES,
  builtinFixtureUrl,
  loadBuiltinFixtures,
  loadBuiltinLargeFixtures,
} from './builtinFixtures.js';
export {
  checkGpuLocation,
  declaresGpuResidency,
  type GpuTensorMaker,
  gpuTensorMakerFor,
} from './checkGpuLocation.js';
export { checkOptionTypes } from './checkOptionTypes.js';
export { checkOutArrays } from './checkOutArrays.js';
export { decodeFloat, encodeFloat, NON_FINITE_STRINGS } from './floatEncoding.js';
export { formatCaseResult, formatReport, formatTolerances } from './formatReport.js';
export { fusedLossDifference } from './fusedLoss.js';
export {
  caseGroup,
  type ExactValues,
  GOLDEN_FORMAT,
  type GoldenCase,
  type GoldenError,
  type GoldenFile,
  type GoldenGenerator,
  type GoldenOptions,
  type GoldenValues,
  toLossOptions,
} from './GoldenFile.js';
export {
  LARGE_GOLDEN_FORMAT,
  type LargeGoldenCase,
  type LargeGoldenFile,
  type LargeGradientExpectation,
} from './LargeGoldenFile.js';
export { GoldenFormatError, parseGoldenFile } from './parseGoldenFile.js';
export { parseLargeGoldenFile } from './parseLargeGoldenFile.js';
export { describeRow, type RowSource, withRowContext } from './rowContext.js';
export {
  type CaseResult,
  type CaseStatus,
  type ConformanceOptions,
  type ConformanceReport,
  checkCapabilities,
  checkDisposal,
  checkFirstOutOfRange,
  checkReadsAtCallTime,
  checkUnsupportedDtypes,
  describeError,
  runConformance,
  runGoldenCase,
  summarize,
  withCallTimeout,
} from './runConformance.js';
export { checkLargeGradient, runLargeCase } from './runLargeCase.js';
export {
  makeSeededGradOutput,
  makeSeededProblem,
  type SeededProblem,
  type SeededRecipe,
} from './seededProblem.js';
export { hash32, scaledIndex, seededUniform, seededWord, seededWords } from './seededWords.js';
export { type StateProblem, stateProblem } from './stateProblem.js';
export {
  compareTensor,
  type Difference,
  effectiveTolerance,
  PYTORCH_DRIFT,
  pytorchTolerance,
  type TensorName,
  TOLERANCE_LIMITS,
} from './tolerance.js';
