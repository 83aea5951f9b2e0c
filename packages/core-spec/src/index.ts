export {
  type GpuBackwardProblem,
  type GpuKernelData,
  type GpuKernelResult,
  type GpuLossKernel,
  type GpuOutTensors,
  type GpuProblem,
  gpuTargetOutOfRangeError,
  usesGpu,
  validateGpuBackward,
  validateGpuForward,
} from './gpuProblem.js';
export { isGpuTensor } from './isGpuTensor.js';
export { LossBackend } from './LossBackend.js';
export {
  ARGUMENT_ERROR_CODES,
  formatShape,
  isLossError,
  LossError,
  type LossErrorCode,
} from './LossError.js';
export type { KernelResult, LossKernel } from './LossKernel.js';
export {
  allocate,
  type BackwardProblem,
  gradientArrayFor,
  outputArrayFor,
  outputLength,
  type Problem,
} from './Problem.js';
export { gradientUnit, gradOutputOfRow, reduceRowSums } from './reduceRowSums.js';
export { countTargets, referenceBackward, referenceForward } from './reference.js';
export { createReferenceBackend, REFERENCE_CAPABILITIES, referenceKernel } from './referenceBackend.js';
export {
  type BackendAttempt,
  type BackendEntry,
  type BackendFactory,
  type BackendPreference,
  BackendUnavailableError,
  createBackend,
  listBackends,
  type RegisterOptions,
  registerBackend,
  unregisterBackend,
} from './registry.js';
export { resolveReduction } from './resolveReduction.js';
export { findTargetOutOfRange, targetOutOfRangeError } from './targetRange.js';
export type {
  BackendCapabilities,
  Dtype,
  FloatArray,
  ForwardBackwardResult,
  GpuTensor,
  ILossBackend,
  LossOptions,
  OutArrays,
  OutputLocation,
  Reduction,
  Tensor,
  Tolerance,
} from './types.js';
export { dtypeOf, type ValidationContext, validateBackward, validateForward } from './validate.js';
