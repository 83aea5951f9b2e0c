import {
  type Dtype,
  type FloatArray,
  type ILossBackend,
  isLossError,
  LossError,
  type LossOptions,
  type Tensor,
} from '@mlml/core-spec';
import { type BackendChoice, withBackend } from './backendCache.js';
import { describe, type InputLike, toInputTensor } from './toInputTensor.js';
import { clampedTargetValue, type TargetLike, toTargetTensor } from './toTargetTensor.js';

/** Options of the torch-like API: PyTorch's loss options plus where to run. */
export interface MultiLabelMarginLossOptions extends LossOptions {
  /** Which backend computes: `'auto'`, a name, names in order, or an `ILossBackend`. @default 'auto' */
  backend?: BackendChoice;
  /**
   * The dtype nested/plain number arrays are converted to (typed arrays keep theirs); any other
   * value is a `LossError` (`INVALID_OPTIONS`). @default 'float32'
   */
  dtype?: Dtype;
}

/** A result tensor, with the name of the backend that computed it. */
export interface LossTensor extends Tensor<FloatArray> {
  /** The backend that actually ran, e.g. `'wasm'`. */
  readonly backend: string;
}

/** Loss and gradient of one fused call. */
export interface LossAndGradient {
  /** The loss. */
  readonly output: LossTensor;
  /** The gradient w.r.t. the input. */
  readonly gradInput: LossTensor;
}

/**
 * The backend's options: the API's own keys taken out; any other key is left for the backend's
 * validation to accept or reject (`INVALID_OPTIONS`).
 * @throws {LossError} `INVALID_OPTIONS` when `options` is not a plain object (e.g. `'sum'`).
 */
function lossOptions(options: MultiLabelMarginLossOptions): LossOptions {
  checkOptionsObject(options);
  const { backend: _backend, dtype: _dtype, ...rest } = options;
  return rest;
}

/**
 * Checks that the options argument is a plain object (PyTorch's keyword arguments), not a string,
 * an array or null.
 * @throws {LossError} `INVALID_OPTIONS` naming what was given.
 */
export function checkOptionsObject(options: unknown): void {
  const prototype =
    typeof options === 'object' && options !== null ? Object.getPrototypeOf(options) : undefined;
  if (prototype !== Object.prototype && prototype !== null) {
    throw new LossError(
      'INVALID_OPTIONS',
      `options must be an object such as { reduction: 'sum' }, but got: ${typeof options === 'string' ? `'${options}'` : describe(options)}`,
    );
  }
}

/**
 * Runs a call; a `TARGET_OUT_OF_RANGE` error about a target that did not fit int32 (clamped by
 * {@link toTargetTensor}) is given again with the user's own value instead of the clamped one.
 */
async function withOwnTargetValues<T>(target: Tensor<Int32Array>, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!isLossError(error, 'TARGET_OUT_OF_RANGE')) throw error;
    const match = /found (-?\d+) at index (\d+)/.exec(error.message);
    const own = match === null ? undefined : clampedTargetValue(target.data, Number(match[2]));
    if (match === null || own === undefined) throw error;
    throw new LossError(
      'TARGET_OUT_OF_RANGE',
      error.message.replace(match[0], `found ${own} at index ${match[2]}`),
    );
  }
}

/** The call's tensors with their typed arrays copied (a GpuTensor's buffer stays the caller's). */
function snapshotTensors<A extends Record<string, Tensor<FloatArray> | Tensor<Int32Array> | undefined>>(
  tensors: A,
): A {
  const copy: Record<string, unknown> = {};
  for (const [name, tensor] of Object.entries(tensors)) {
    const data: unknown = tensor?.data;
    copy[name] = ArrayBuffer.isView(data)
      ? { data: (data as Float32Array).slice(), shape: [...(tensor as Tensor<unknown>).shape] }
      : tensor;
  }
  return copy as A;
}

function tagged(tensor: Tensor<FloatArray>, backend: ILossBackend): LossTensor {
  // Spread: a GpuTensor result (outputLocation 'gpu-buffer') keeps its buffer and dtype.
  return { ...tensor, backend: backend.name };
}

function gradTensor(
  gradOutput: InputLike | undefined,
  input: Tensor<FloatArray>,
): Tensor<FloatArray> | undefined {
  if (gradOutput === undefined) return undefined;
  return toInputTensor(gradOutput, input.data instanceof Float64Array ? 'float64' : 'float32');
}

/**
 * `torch.nn.functional.multilabel_margin_loss`: the multi-class multi-label hinge loss.
 * @example
 * const loss = await multilabelMarginLoss([[0.1, 0.2, 0.4, 0.8]], [[3, 0, -1, 1]]);
 * loss.data[0]; // 0.85 (float32)
 * @throws {LossError} for invalid arguments, with PyTorch's wording.
 */
export async function multilabelMarginLoss(
  input: InputLike,
  target: TargetLike,
  options: MultiLabelMarginLossOptions = {},
): Promise<LossTensor> {
  const rest = lossOptions(options);
  const x = toInputTensor(input, options.dtype);
  const y = toTargetTensor(target);
  return withOwnTargetValues(y, () =>
    withBackend(options.backend, { x, y }, snapshotTensors, async (backend, own) =>
      tagged(await backend.forward(own.x, own.y, rest), backend),
    ),
  );
}

/**
 * The gradient of {@link multilabelMarginLoss} w.r.t. `input`, scaled by `gradOutput`
 * (default: ones, i.e. the gradient of the loss itself).
 * @throws {LossError} for invalid arguments, with PyTorch's wording.
 */
export async function multilabelMarginLossBackward(
  input: InputLike,
  target: TargetLike,
  gradOutput?: InputLike,
  options: MultiLabelMarginLossOptions = {},
): Promise<LossTensor> {
  const { gradInput } = await multilabelMarginLossWithGrad(input, target, gradOutput, options);
  return gradInput;
}

/**
 * Loss and gradient in one pass (what a training step needs).
 * @throws {LossError} for invalid arguments, with PyTorch's wording.
 */
export async function multilabelMarginLossWithGrad(
  input: InputLike,
  target: TargetLike,
  gradOutput?: InputLike,
  options: MultiLabelMarginLossOptions = {},
): Promise<LossAndGradient> {
  const rest = lossOptions(options);
  const x = toInputTensor(input, options.dtype);
  const y = toTargetTensor(target);
  const g = gradTensor(gradOutput, x);
  return withOwnTargetValues(y, () =>
    withBackend(options.backend, { x, y, g }, snapshotTensors, async (backend, own) => {
      const { output, gradInput } = await backend.forwardBackward(own.x, own.y, own.g, rest);
      return { output: tagged(output, backend), gradInput: tagged(gradInput, backend) };
    }),
  );
}
