export {
  type AgreementRecord,
  type AgreementTolerance,
  type CaseTolerance,
  type CaseValues,
  type Comparison,
  checkAgreement,
  compareArrays,
  DEFAULT_TOLERANCE,
  DisagreementError,
  type Mismatch,
  repeatedAdditionTolerance,
  TFJS_TOLERANCE,
  widerTolerance,
} from './agreement.js';
export {
  BENCH_REPORT_FORMAT,
  type BenchReport,
  type BenchResult,
  type BenchSettings,
  type ImplementationStatus,
  type MachineInfo,
  type SkippedCase,
} from './BenchReport.js';
export {
  type BackendContenderOptions,
  backendContender,
  OUT_SUFFIX,
  TRAINING_LOOP_WARMUP_CALLS,
  TRAINING_LOOP_WARMUP_MS,
  WASM_SINGLE_THREAD,
} from './backendContender.js';
export { type Contender, MODES, type Mode, type PreparedCase } from './Contender.js';
export { type ChartName, chartSpecs, renderSvg, speedupChartSpec, sweepChartSpec } from './charts.js';
export { main } from './cli.js';
export { formatCaseTable } from './formatTable.js';
export { type BenchData, DEFAULT_SEED, generateData, seededRandom } from './generateData.js';
export { collectMachineInfo, describeMachine } from './machineInfo.js';
export { gridSummaryRows, renderMarkdownSnippet, renderPlainSummary } from './markdownSnippet.js';
export { ArgumentError, type CliOptions, parseCliArgs, USAGE } from './parseArgs.js';
export {
  createJsReadPass,
  declaredReadPasses,
  loadReadPass,
  READ_PASSES_EXPORT,
  type ReadPass,
  type ReadPassDeclaration,
  type ReadPassFactory,
  type ReadPassKind,
  readPassFor,
  readPassKey,
  readPassRowName,
} from './readPass.js';
export { defaultResultsDir, isInstalledPackage, linkRoot } from './resultsLocation.js';
export {
  type BenchOptions,
  BenchUsageError,
  DEFAULT_RESULTS_DIR,
  PEER_NAMES,
  type PeerName,
  REFERENCE_BACKEND,
  runBench,
  withRatios,
} from './runBench.js';
export {
  type BenchShape,
  defaultShapeSelectors,
  FLOAT64_SHAPE_IDS,
  GRID_SHAPES,
  SHAPE_SELECTORS,
  type ShapeGroup,
  selectShapes,
  sweepClassesShapes,
  sweepTargetsShapes,
  TIE_SHAPES,
  TIES_SHAPE,
  type ValueDistribution,
} from './shapes.js';
// The TF.js peers stay internal: their types would pull tfjs-core's typings into a user's build.
export {
  callsPerSample,
  MIN_SAMPLE_MS,
  type TimingOptions,
  type TimingStats,
  timeTask,
  timingFor,
} from './timeTask.js';
export { torchContender, torchRowName } from './torchContender.js';
export { DEFAULT_PYTHON, TORCH_SCRIPT, type TorchInfo, TorchRunner } from './torchRunner.js';
export { type OutputPaths, writeOutputs } from './writeOutputs.js';
