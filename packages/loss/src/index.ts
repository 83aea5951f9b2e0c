import './registerBuiltinBackends.js';

// What users of the loss need from @mlml/core-spec. The backend author's API (LossBackend,
// LossKernel, Problem, validation, the reference loops) stays in @mlml/core-spec.
export {
  type BackendAttempt,
  type BackendCapabilities,
  type BackendEntry,
  type BackendFactory,
  type BackendPreference,
  BackendUnavailableError,
  createBackend,
  type Dtype,
  type FloatArray,
  type ForwardBackwardResult,
  type GpuTensor,
  type ILossBackend,
  isGpuTensor,
  isLossError,
  LossError,
  type LossErrorCode,
  type LossOptions,
  listBackends,
  type OutArrays,
  type OutputLocation,
  type Reduction,
  type RegisterOptions,
  registerBackend,
  type Tensor,
  type Tolerance,
  unregisterBackend,
} from '@mlml/core-spec';
export { type BackendChoice, disposeSharedBackends, resolveBackend } from './backendCache.js';
export {
  type LossAndGradient,
  type LossTensor,
  type MultiLabelMarginLossOptions,
  multilabelMarginLoss,
  multilabelMarginLossBackward,
  multilabelMarginLossWithGrad,
} from './functional.js';
export { MultiLabelMarginLoss, type MultiLabelMarginLossModuleOptions } from './MultiLabelMarginLoss.js';
export { BUILTIN_PRIORITIES } from './registerBuiltinBackends.js';
export { type InputLike, type NestedNumbers, toInputTensor } from './toInputTensor.js';
export { type Nested, toNested } from './toNested.js';
export { type IntegerArray, type TargetLike, toTargetTensor } from './toTargetTensor.js';
