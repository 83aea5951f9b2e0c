import type { Dtype, FloatArray, ILossBackend, LossOptions, Tensor } from '@mlml/core-spec';
import { type BackendChoice, withBackend } from './backendCache.js';
import { type InputLike, toInputTensor } from './toInputTensor.js';
import { type TargetLike, toTargetTensor } from './toTargetTensor.js';

/** Options of the torch-like API: PyTorch's loss options plus where to run. */
export interface MultiLabelMarginLossOptions extends LossOptions {
  /** Which backend computes: `'auto'`, a name, names in order, or an `ILossBackend`. @default 'auto' */
  backend?: BackendChoice;
  /** The dtype nested/plain number arrays are converted to (typed arrays keep theirs). @default 'float32' */
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

function lossOptions(options: MultiLabelMarginLossOptions): LossOptions {
  const { backend: _backend, dtype: _dtype, ...rest } = options;
  return rest;
}

function tagged(tensor: Tensor<FloatArray>, backend: ILossBackend): LossTensor {
  return { data: tensor.data, shape: tensor.shape, backend: backend.name };
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
  const x = toInputTensor(input, options.dtype);
  const y = toTargetTensor(target);
  return withBackend(options.backend, async (backend) =>
    tagged(await backend.forward(x, y, lossOptions(options)), backend),
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
  const x = toInputTensor(input, options.dtype);
  const y = toTargetTensor(target);
  const g = gradTensor(gradOutput, x);
  return withBackend(options.backend, async (backend) => {
    const { output, gradInput } = await backend.forwardBackward(x, y, g, lossOptions(options));
    return { output: tagged(output, backend), gradInput: tagged(gradInput, backend) };
  });
}
