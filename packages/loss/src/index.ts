import './registerBuiltinBackends.js';

export * from '@mlml/core-spec';
export { type BackendChoice, disposeSharedBackends, resolveBackend } from './backendCache.js';
export {
  type LossAndGradient,
  type LossTensor,
  type MultiLabelMarginLossOptions,
  multilabelMarginLoss,
  multilabelMarginLossBackward,
  multilabelMarginLossWithGrad,
} from './functional.js';
export { MultiLabelMarginLoss } from './MultiLabelMarginLoss.js';
export { BUILTIN_PRIORITIES } from './registerBuiltinBackends.js';
export { type InputLike, type NestedNumbers, toInputTensor } from './toInputTensor.js';
export { type Nested, toNested } from './toNested.js';
export { type IntegerArray, type TargetLike, toTargetTensor } from './toTargetTensor.js';
