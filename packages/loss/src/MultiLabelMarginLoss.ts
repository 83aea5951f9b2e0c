import { type FloatArray, type ILossBackend, LossError, type OutArrays } from '@mlml/core-spec';
import { resolveBackend } from './backendCache.js';
import {
  checkOptionsObject,
  type LossAndGradient,
  type LossTensor,
  type MultiLabelMarginLossOptions,
  multilabelMarginLoss,
  multilabelMarginLossBackward,
  multilabelMarginLossWithGrad,
} from './functional.js';
import { type InputLike, toInputTensor } from './toInputTensor.js';
import type { TargetLike } from './toTargetTensor.js';

/** Options of {@link MultiLabelMarginLoss}: the functional API's, plus output reuse. */
export interface MultiLabelMarginLossModuleOptions extends MultiLabelMarginLossOptions {
  /**
   * Reuse the result arrays from call to call while the input's shape and dtype stay the same (a
   * training loop): each call writes into the arrays the previous call returned (core-spec's `out`
   * option) instead of allocating fresh ones, which saves the allocation and its first-touch page
   * faults. A result is then only valid until the next call of this module: copy what you keep.
   * A call made while another is still in flight gets fresh arrays. Not combined with `out`.
   * @default false
   */
  reuseOutputs?: boolean;
}

/** The arrays a module reuses, for one input shape and dtype. */
interface ReusedArrays {
  readonly dtype: string;
  readonly shape: readonly number[];
  output?: FloatArray;
  gradInput?: FloatArray;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

/**
 * `torch.nn.MultiLabelMarginLoss` as a reusable module: options are fixed at construction,
 * including the backend.
 * @example
 * const criterion = new MultiLabelMarginLoss({ reduction: 'sum', backend: 'cpu-ts' });
 * const { output, gradInput } = await criterion.forwardBackward(x, y);
 * @example
 * // A training loop: the same two arrays every step, no allocation.
 * const criterion = new MultiLabelMarginLoss({ reuseOutputs: true });
 * for (const [x, y] of batches) {
 *   const { output, gradInput } = await criterion.forwardBackward(x, y);
 *   step(output.data[0], gradInput.data); // valid until the next call
 * }
 */
export class MultiLabelMarginLoss {
  /** The options every call uses. */
  readonly options: Readonly<MultiLabelMarginLossModuleOptions>;
  readonly #callOptions: MultiLabelMarginLossOptions;
  #reused: ReusedArrays | undefined;
  #inFlight = 0;

  /** @throws {LossError} `INVALID_OPTIONS` when `options` is not an object, or combines `reuseOutputs` with `out`. */
  constructor(options: MultiLabelMarginLossModuleOptions = {}) {
    checkOptionsObject(options);
    if (options.reuseOutputs === true && options.out !== undefined) {
      throw new LossError('INVALID_OPTIONS', 'reuseOutputs and out cannot be combined: pick one');
    }
    this.options = { ...options };
    const { reuseOutputs: _reuse, ...callOptions } = options;
    this.#callOptions = callOptions;
  }

  /** The loss of `input` against `target`. */
  forward(input: InputLike, target: TargetLike): Promise<LossTensor> {
    return this.#run(input, (x, options) => multilabelMarginLoss(x, target, options), ['output']);
  }

  /** The gradient w.r.t. `input`, scaled by `gradOutput` (default ones). */
  backward(input: InputLike, target: TargetLike, gradOutput?: InputLike): Promise<LossTensor> {
    return this.#run(input, (x, options) => multilabelMarginLossBackward(x, target, gradOutput, options), [
      'gradInput',
    ]);
  }

  /** Loss and gradient in one pass. */
  forwardBackward(input: InputLike, target: TargetLike, gradOutput?: InputLike): Promise<LossAndGradient> {
    return this.#run(input, (x, options) => multilabelMarginLossWithGrad(x, target, gradOutput, options), [
      'output',
      'gradInput',
    ]);
  }

  /** The backend this module runs on (created on first use). */
  backend(): Promise<ILossBackend> {
    return resolveBackend(this.options.backend);
  }

  async #run<T extends LossTensor | LossAndGradient>(
    input: InputLike,
    call: (input: InputLike, options: MultiLabelMarginLossOptions) => Promise<T>,
    kinds: readonly (keyof OutArrays)[],
  ): Promise<T> {
    if (this.options.reuseOutputs !== true) return call(input, this.#callOptions);
    // Converted once here; the call gets the tensor (converting a tensor again returns it as is).
    const tensor = toInputTensor(input, this.#callOptions.dtype);
    const { data, shape } = tensor;
    const dtype = data instanceof Float64Array ? 'float64' : 'float32';
    const reused = this.#reused;
    const matches =
      this.#inFlight === 0 &&
      reused !== undefined &&
      reused.dtype === dtype &&
      sameShape(reused.shape, shape);
    const out: { output?: FloatArray; gradInput?: FloatArray } = {};
    if (matches) for (const kind of kinds) if (reused[kind] !== undefined) out[kind] = reused[kind];
    const options = Object.keys(out).length > 0 ? { ...this.#callOptions, out } : this.#callOptions;
    this.#inFlight++;
    let result: T;
    try {
      result = await call(tensor, options);
    } finally {
      this.#inFlight--;
    }
    const keep: ReusedArrays = matches ? reused : { dtype, shape: [...shape] };
    if ('gradInput' in result) {
      keep.output = result.output.data;
      keep.gradInput = result.gradInput.data;
    } else {
      keep[kinds[0]!] = result.data;
    }
    this.#reused = keep;
    return result;
  }
}
