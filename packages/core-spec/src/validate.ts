import { isGpuTensor } from './isGpuTensor.js';
import { formatShape, LossError } from './LossError.js';
import { checkOutArrays, readOptions } from './options.js';
import { type BackwardProblem, type Problem, withGradOutput } from './Problem.js';
import { resolveReduction } from './resolveReduction.js';
import { findTargetOutOfRange, targetOutOfRangeError } from './targetRange.js';
import type { Dtype, FloatArray, LossOptions, Reduction, Tensor } from './types.js';

/** Who is validating: the backend's name, what it supports, and whether it was disposed. */
export interface ValidationContext {
  /** The backend's name, for messages. */
  readonly backend: string;
  /** The dtypes the backend supports. */
  readonly dtypes: readonly Dtype[];
  /** Whether `dispose()` was called. */
  readonly disposed: boolean;
  /**
   * Whether the kernel checks the target range itself, on the data it reads anyway
   * (`LossKernel.checksTargetRange`): validation then scans the target only when a rule
   * after the range check is broken, so that the first rule broken is still the one reported.
   * @default false
   */
  readonly kernelChecksTargetRange?: boolean;
  /**
   * Whether the backend accepts GPU-resident tensors and `outputLocation: 'gpu-buffer'`; without
   * it they are rejected with `UNSUPPORTED_LOCATION`.
   * @default false
   */
  readonly gpuResident?: boolean;
}

/** No grad_output: a forward call's other inputs. */
const NO_ARRAYS: readonly FloatArray[] = [];

const ANY_BACKEND: ValidationContext = { backend: 'any', dtypes: ['float32', 'float64'], disposed: false };

/**
 * Checks a forward call, in DESIGN §2's order, and returns it in kernel form.
 * @throws {LossError} the first rule broken.
 */
export function validateForward(
  input: Tensor<FloatArray>,
  target: Tensor<Int32Array>,
  options: LossOptions | undefined,
  context: ValidationContext = ANY_BACKEND,
): Problem {
  const problem = checkArguments(input, target, options, context);
  afterRangeCheck(problem, context, forwardRules, undefined);
  return problem;
}

/**
 * Checks a backward call (forward's rules, then `gradOutput`'s shape and dtype).
 * @throws {LossError} the first rule broken.
 */
export function validateBackward(
  input: Tensor<FloatArray>,
  target: Tensor<Int32Array>,
  gradOutput: Tensor<FloatArray>,
  options: LossOptions | undefined,
  context: ValidationContext = ANY_BACKEND,
): BackwardProblem {
  const problem = checkArguments(input, target, options, context);
  const grad = afterRangeCheck(problem, context, backwardRules, gradOutput);
  return withGradOutput(problem, grad);
}

/** A forward call's rules after the target range check. */
function forwardRules(problem: Problem, context: ValidationContext): void {
  checkOutArrays(problem, NO_ARRAYS);
  checkBackend(problem.dtype, context);
}

/** A backward call's rules after the target range check; returns the checked grad_output. */
function backwardRules(
  problem: Problem,
  context: ValidationContext,
  gradOutput: Tensor<FloatArray>,
): FloatArray {
  const checked = checkGradOutput(gradOutput, problem);
  checkOutArrays(problem, [checked]);
  checkBackend(problem.dtype, context);
  return checked;
}

/**
 * Runs `rules(problem, context, arg)`, the rules that come after the target range check (a
 * function and its argument, not a closure: no allocation on a training loop's every call). When
 * the kernel checks the range itself, validation has not, so a rule broken here is reported only
 * once the target is found in range: an out-of-range target comes first.
 */
function afterRangeCheck<A, T>(
  problem: Problem,
  context: ValidationContext,
  rules: (problem: Problem, context: ValidationContext, arg: A) => T,
  arg: A,
): T {
  if (context.kernelChecksTargetRange !== true) return rules(problem, context, arg);
  try {
    return rules(problem, context, arg);
  } catch (error) {
    checkTargetRange(problem.target, problem.classes);
    throw error;
  }
}

function checkTargetRange(t: Int32Array, classes: number): void {
  const bad = findTargetOutOfRange(t, classes);
  if (bad >= 0) throw targetOutOfRangeError(t, bad, classes);
}

function checkArguments(
  input: Tensor<FloatArray>,
  target: Tensor<Int32Array>,
  options: LossOptions | undefined,
  context: ValidationContext,
): Problem {
  const { options: checked, out } = readOptions(options);
  const reduction = resolveReduction(checked);
  if (checked.outputLocation === 'gpu-buffer' && context.gpuResident !== true) {
    throw unsupportedLocation(context, "outputLocation 'gpu-buffer'");
  }
  // Each property is read once: a getter or Proxy cannot answer differently after validation.
  const data: unknown = input?.data;
  const dtype = dtypeOf(data);
  if (dtype === undefined && isGpuTensor(input) && context.gpuResident !== true) {
    throw unsupportedLocation(context, 'a GpuTensor input');
  }
  if (dtype === undefined) {
    throw new LossError(
      'INVALID_DTYPE',
      `input must be a Float32Array or Float64Array tensor, but got: ${describe(data)}`,
    );
  }
  const x = data as FloatArray;
  const inputShape = checkShape(input.shape, 'input');
  checkLength(x.length, inputShape, 'input');
  const targetData: unknown = target?.data;
  if (!(targetData instanceof Int32Array) && isGpuTensor(target) && context.gpuResident !== true) {
    throw unsupportedLocation(context, 'a GpuTensor target');
  }
  if (!(targetData instanceof Int32Array)) {
    throw new LossError(
      'INVALID_DTYPE',
      `target must be an Int32Array tensor of class indices, but got: ${describe(targetData)}`,
    );
  }
  const targetShape = checkShape(target.shape, 'target');
  checkLength(targetData.length, targetShape, 'target');
  const { batch, classes, outputShape } = checkShapes(inputShape, targetShape, reduction);
  if (context.kernelChecksTargetRange !== true) checkTargetRange(targetData, classes);
  // Two literals rather than a spread: one object per call, of one of two fixed shapes.
  if (out === undefined)
    return { dtype, input: x, target: targetData, batch, classes, reduction, inputShape, outputShape };
  return { dtype, input: x, target: targetData, batch, classes, reduction, inputShape, outputShape, out };
}

/**
 * DESIGN §2's shape rules (`INVALID_SHAPE`, then `TARGET_SHAPE_MISMATCH`) on shapes already read,
 * for typed-array and GPU-resident tensors alike.
 * @throws {LossError} the first rule broken.
 */
export function checkShapes(
  inputShape: readonly number[],
  targetShape: readonly number[],
  reduction: Reduction,
): { batch: number; classes: number; outputShape: readonly number[] } {
  const rank = inputShape.length;
  const classes = rank === 0 ? 1 : inputShape[rank - 1]!;
  if (rank > 2 || classes === 0) {
    throw new LossError(
      'INVALID_SHAPE',
      `Expected non-empty vector or matrix with optional 0-dim batch size, but got: ${formatShape(inputShape)}`,
    );
  }
  const batch = rank === 2 ? inputShape[0]! : 1;
  const targetLength = elementCount(targetShape);
  const targetFits =
    rank === 2
      ? targetShape.length === 2 && targetShape[0] === batch && targetShape[1] === classes
      : targetShape.length <= 1 && targetLength === classes;
  if (!targetFits) {
    throw new LossError(
      'TARGET_SHAPE_MISMATCH',
      `inconsistent target size: ${formatShape(targetShape)} for input of size: ${formatShape(inputShape)}`,
    );
  }
  return { batch, classes, outputShape: reduction === 'none' && rank === 2 ? [batch] : [] };
}

function unsupportedLocation(context: ValidationContext, what: string): LossError {
  return new LossError(
    'UNSUPPORTED_LOCATION',
    `backend '${context.backend}' computes on typed arrays only and does not accept ${what}; use a GPU-resident backend (webgpu created on your device) or pass typed arrays`,
  );
}

/**
 * Checks `grad_output` against a problem's output shape and dtype.
 * @throws {LossError} `INVALID_DTYPE` or `GRAD_OUTPUT_SHAPE_MISMATCH`.
 */
export function checkGradOutput(
  gradOutput: Tensor<FloatArray>,
  problem: Pick<Problem, 'dtype' | 'outputShape'>,
): FloatArray {
  const data: unknown = gradOutput?.data;
  const dtype = dtypeOf(data);
  if (dtype === undefined) {
    throw new LossError(
      'INVALID_DTYPE',
      `grad_output must be a Float32Array or Float64Array tensor, but got: ${describe(data)}`,
    );
  }
  const grad = data as FloatArray;
  const shape = checkShape(gradOutput.shape, 'grad_output');
  checkLength(grad.length, shape, 'grad_output');
  const expected = problem.outputShape;
  if (shape.length !== expected.length || shape.some((size, i) => size !== expected[i])) {
    throw new LossError(
      'GRAD_OUTPUT_SHAPE_MISMATCH',
      `grad_output of size ${formatShape(shape)} does not match the loss output of size ${formatShape(expected)}`,
    );
  }
  if (dtype !== problem.dtype) {
    throw new LossError(
      'INVALID_DTYPE',
      `grad_output has dtype ${dtype} but the input has dtype ${problem.dtype}; they must match`,
    );
  }
  return grad;
}

/**
 * The backend's rules: the dtype supported, the backend not disposed.
 * @throws {LossError} `UNSUPPORTED_DTYPE` or `BACKEND_DISPOSED`.
 */
export function checkBackend(dtype: Dtype, context: ValidationContext): void {
  if (!context.dtypes.includes(dtype)) {
    throw new LossError(
      'UNSUPPORTED_DTYPE',
      `backend '${context.backend}' does not support dtype ${dtype} (it supports: ${context.dtypes.join(', ')})`,
    );
  }
  if (context.disposed) {
    throw new LossError('BACKEND_DISPOSED', `backend '${context.backend}' was disposed; create a new one`);
  }
}

/** The dtype of a float array, or undefined when it is not one. */
export function dtypeOf(data: unknown): Dtype | undefined {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return undefined;
}

/** The shape as a plain array, each size read once (a getter or Proxy is not consulted again). */
export function checkShape(shape: unknown, what: string): readonly number[] {
  // A plain loop (no Array.from, no callbacks): this runs twice on every call. Each index is read
  // once, into the copy that is checked and kept.
  let copy: unknown[] | undefined;
  let valid = false;
  if (Array.isArray(shape)) {
    const length = shape.length;
    // A matrix's shape, the common case, in one literal (no growing array).
    copy = length === 2 ? [shape[0], shape[1]] : [];
    if (length !== 2) for (let i = 0; i < length; i++) copy.push(shape[i]);
    valid = true;
    for (let i = 0; i < length; i++) {
      const size = copy[i];
      valid &&= Number.isSafeInteger(size) && (size as number) >= 0;
    }
  }
  if (!valid) {
    throw new LossError(
      'INVALID_DTYPE',
      `${what} shape must be an array of non-negative integers, but got: ${safeJson(copy ?? shape)}`,
    );
  }
  return copy as number[];
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return describe(value);
  }
}

/** The element count a shape needs against the data's: `INVALID_DTYPE` when they differ. */
export function checkLength(length: number, shape: readonly number[], what: string): void {
  const expected = elementCount(shape);
  if (length !== expected) {
    throw new LossError(
      'INVALID_DTYPE',
      `${what} data has ${length} elements but its shape ${formatShape(shape)} needs ${expected}`,
    );
  }
}

/** The number of elements of a tensor of `shape` (1 for a 0-dim shape), by a plain loop (no callback: this runs on every call). */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (let i = 0; i < shape.length; i++) count *= shape[i]!;
  return count;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}
