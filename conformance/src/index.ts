export { createReferenceBackend, REFERENCE_CAPABILITIES, referenceKernel } from '@mlml/core-spec';
export {
  type AgreementOptions,
  assertAgreesWithReference,
  compareWithReference,
  type RandomCall,
  randomCallArbitrary,
} from './agreement.js';
export { BUILTIN_FIXTURE_FILES, builtinFixtureUrl, loadBuiltinFixtures } from './builtinFixtures.js';
export { decodeFloat, encodeFloat, NON_FINITE_STRINGS } from './floatEncoding.js';
export { formatCaseResult, formatReport } from './formatReport.js';
export {
  caseGroup,
  GOLDEN_FORMAT,
  type GoldenCase,
  type GoldenError,
  type GoldenFile,
  type GoldenGenerator,
  type GoldenOptions,
  type GoldenValues,
  toLossOptions,
} from './GoldenFile.js';
export { GoldenFormatError, parseGoldenFile } from './parseGoldenFile.js';
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
export {
  compareTensor,
  type Difference,
  effectiveTolerance,
  PYTORCH_DRIFT,
  pytorchTolerance,
  type TensorName,
  TOLERANCE_LIMITS,
} from './tolerance.js';
