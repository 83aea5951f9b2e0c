import type { ILossBackend } from '@mlml/core-spec';
import { resolveBackend } from './backendCache.js';
import {
  type LossAndGradient,
  type LossTensor,
  type MultiLabelMarginLossOptions,
  multilabelMarginLoss,
  multilabelMarginLossBackward,
  multilabelMarginLossWithGrad,
} from './functional.js';
import type { InputLike } from './toInputTensor.js';
import type { TargetLike } from './toTargetTensor.js';

/**
 * `torch.nn.MultiLabelMarginLoss` as a reusable module: options are fixed at construction,
 * including the backend.
 * @example
 * const criterion = new MultiLabelMarginLoss({ reduction: 'sum', backend: 'cpu-ts' });
 * const { output, gradInput } = await criterion.forwardBackward(x, y);
 */
export class MultiLabelMarginLoss {
  /** The options every call uses. */
  readonly options: Readonly<MultiLabelMarginLossOptions>;

  constructor(options: MultiLabelMarginLossOptions = {}) {
    this.options = { ...options };
  }

  /** The loss of `input` against `target`. */
  forward(input: InputLike, target: TargetLike): Promise<LossTensor> {
    return multilabelMarginLoss(input, target, this.options);
  }

  /** The gradient w.r.t. `input`, scaled by `gradOutput` (default ones). */
  backward(input: InputLike, target: TargetLike, gradOutput?: InputLike): Promise<LossTensor> {
    return multilabelMarginLossBackward(input, target, gradOutput, this.options);
  }

  /** Loss and gradient in one pass. */
  forwardBackward(input: InputLike, target: TargetLike, gradOutput?: InputLike): Promise<LossAndGradient> {
    return multilabelMarginLossWithGrad(input, target, gradOutput, this.options);
  }

  /** The backend this module runs on (created on first use). */
  backend(): Promise<ILossBackend> {
    return resolveBackend(this.options.backend);
  }
}
