import { isGpuTensor } from './isGpuTensor.js';
import { formatShape, LossError } from './LossError.js';
import { checkOutArrays, readOptions } from './options.js';
import type { Problem } from './Problem.js';
import { resolveReduction } from './resolveReduction.js';
import { findTargetOutOfRange, targetOutOfRangeError } from './targetRange.js';
import type { FloatArray, GpuTensor, LossOptions, OutArrays, OutputLocation, Tensor } from './types.js';
import {
  checkBackend,
  checkGradOutput,
  checkLength,
  checkShape,
  checkShapes,
  elementCount,
  type ValidationContext,
} from './validate.js';

/**
 * A validated float32 call of a GPU-resident kernel: input and target each a typed array or a
 * {@link GpuTensor}, results returned as typed arrays or, with `outputLocation: 'gpu-buffer'`,
 * as GpuTensors the caller owns. A GpuTensor target has NOT been range-checked: the kernel checks
 * it on the GPU and rejects with {@link gpuTargetOutOfRangeError} for the first bad element,
 * writing nothing out of bounds.
 */
export interface GpuProblem {
  /** Always float32 (GPU-resident data is float32 input and int32 target). */
  readonly dtype: 'float32';
  /** The input: a Float32Array or a float32 GpuTensor (its buffer holds at least N·C floats). */
  readonly input: Float32Array | GpuTensor;
  /** The target: an Int32Array (range-checked) or an int32 GpuTensor (not range-checked). */
  readonly target: Int32Array | GpuTensor;
  /** N. */
  readonly batch: number;
  /** C. */
  readonly classes: number;
  /** The resolved reduction. */
  readonly reduction: Problem['reduction'];
  /** The user's input shape, which the gradient takes. */
  readonly inputShape: readonly number[];
  /** The shape of the forward output. */
  readonly outputShape: readonly number[];
  /** Where results go. */
  readonly outputLocation: OutputLocation;
  /** The caller's typed result arrays (only with `outputLocation: 'cpu'`). */
  readonly out?: OutArrays;
  /**
   * The caller's GpuTensors for the results (only with `outputLocation: 'gpu-buffer'`; checked:
   * float32, the result's shape, buffers large enough, not the input's or target's, distinct).
   */
  readonly gpuOut?: GpuOutTensors;
}

/** Caller-owned GpuTensors a `'gpu-buffer'` call writes its results into and returns. */
export interface GpuOutTensors {
  /** Receives the loss. */
  readonly output?: GpuTensor;
  /** Receives the gradient. */
  readonly gradInput?: GpuTensor;
}

/** A {@link GpuProblem} with the incoming gradient (a typed array). */
export interface GpuBackwardProblem extends GpuProblem {
  /** grad_output: one value per sample (`none`) or one scalar. */
  readonly gradOutput: Float32Array;
}

/** What a GPU-resident kernel returns: typed arrays, or GpuTensors for `'gpu-buffer'`. */
export type GpuKernelData = Float32Array | GpuTensor;

/** The loss and gradient of a fused GPU-resident call. */
export interface GpuKernelResult {
  /** The loss. */
  readonly output: GpuKernelData;
  /** The gradient w.r.t. the input. */
  readonly gradInput: GpuKernelData;
}

/** The part of a kernel that takes {@link GpuProblem}s (see `LossKernel.gpu`). */
export interface GpuLossKernel {
  /** The loss. */
  forward(problem: GpuProblem): Promise<GpuKernelData>;
  /** The gradient. */
  backward(problem: GpuBackwardProblem): Promise<GpuKernelData>;
  /** Both from one pass. */
  forwardBackward(problem: GpuBackwardProblem): Promise<GpuKernelResult>;
}

/**
 * Whether a call takes the GPU-resident path: a GpuTensor input or target, or `outputLocation:
 * 'gpu-buffer'` (read without side effects; the options are validated later).
 */
export function usesGpu(input: unknown, target: unknown, options: unknown): boolean {
  if (isGpuTensor(input) || isGpuTensor(target)) return true;
  if (typeof options !== 'object' || options === null) return false;
  return (options as LossOptions).outputLocation === 'gpu-buffer';
}

/**
 * Checks a GPU-resident forward call with DESIGN §2's rules, in its order, before any GPU work:
 * dtypes (`'float32'` input, `'int32'` target), shapes, buffers large enough for their shapes
 * (`INVALID_DTYPE`), a typed-array target's range, the options and the backend.
 * @throws {LossError} the first rule broken.
 */
export function validateGpuForward(
  input: Tensor<FloatArray> | GpuTensor,
  target: Tensor<Int32Array> | GpuTensor,
  options: LossOptions | undefined,
  context: ValidationContext,
): GpuProblem {
  const { problem, dtype, out } = checkGpuArguments(input, target, options);
  const checked = withCheckedOut(problem, out, []);
  checkBackend(dtype, context);
  return checked;
}

/**
 * Checks a GPU-resident backward call: forward's rules, then grad_output (a typed array).
 * @throws {LossError} the first rule broken.
 */
export function validateGpuBackward(
  input: Tensor<FloatArray> | GpuTensor,
  target: Tensor<Int32Array> | GpuTensor,
  gradOutput: Tensor<FloatArray>,
  options: LossOptions | undefined,
  context: ValidationContext,
): GpuBackwardProblem {
  const { problem, dtype, out } = checkGpuArguments(input, target, options);
  // grad_output is checked against the input's real dtype (a float64 input is rejected below, as
  // UNSUPPORTED_DTYPE, in DESIGN's order).
  const grad = checkGradOutput(gradOutput, { ...problem, dtype } as unknown as Problem);
  const checked = withCheckedOut(problem, out, [grad]);
  checkBackend(dtype, context);
  return { ...checked, gradOutput: grad as Float32Array };
}

/**
 * The `TARGET_OUT_OF_RANGE` error for a GPU-resident target whose first bad element (found on the
 * GPU) is `value` at flat `index`: the wording of `targetOutOfRangeError`.
 */
export function gpuTargetOutOfRangeError(value: number, index: number, classes: number): LossError {
  // The one wording: targetOutOfRangeError reads only t[index].
  return targetOutOfRangeError({ [index]: value } as unknown as Int32Array, index, classes);
}

/** A GPU call's arguments checked up to the target range; `out` is checked after grad_output. */
interface CheckedGpuArguments {
  readonly problem: GpuProblem;
  /** The input's real dtype: float64 typed input is valid input that this backend does not support. */
  readonly dtype: 'float32' | 'float64';
  readonly out: OutArrays | undefined;
}

function checkGpuArguments(
  input: Tensor<FloatArray> | GpuTensor,
  target: Tensor<Int32Array> | GpuTensor,
  options: LossOptions | undefined,
): CheckedGpuArguments {
  const { options: checked, out } = readOptions(options);
  const reduction = resolveReduction(checked);
  const outputLocation = checked.outputLocation ?? 'cpu';
  const x = readTensor(input, 'input', 'float32');
  const y = readTensor(target, 'target', 'int32');
  const { batch, classes, outputShape } = checkShapes(x.shape, y.shape, reduction);
  if (y.data instanceof Int32Array) {
    const bad = findTargetOutOfRange(y.data, classes);
    if (bad >= 0) throw targetOutOfRangeError(y.data, bad, classes);
  }
  const problem: GpuProblem = {
    dtype: 'float32',
    input: x.data as Float32Array | GpuTensor,
    target: y.data as Int32Array | GpuTensor,
    batch,
    classes,
    reduction,
    inputShape: x.shape,
    outputShape,
    outputLocation,
  };
  return { problem, dtype: x.data instanceof Float64Array ? 'float64' : 'float32', out };
}

/**
 * The problem with its result destinations, checked after grad_output as on any backend: typed
 * `out` arrays (against the typed-array inputs), or GpuTensors with `'gpu-buffer'`.
 */
function withCheckedOut(
  problem: GpuProblem,
  out: OutArrays | undefined,
  others: readonly FloatArray[],
): GpuProblem {
  if (out === undefined) return problem;
  if (problem.outputLocation === 'gpu-buffer') {
    const gpuOut = readGpuOut(out as unknown as GpuOutTensors, problem.outputShape, problem.inputShape, [
      problem.input,
      problem.target,
    ]);
    return { ...problem, gpuOut };
  }
  const typedInput = problem.input instanceof Float32Array ? problem.input : new Float32Array(0);
  const typedTarget = problem.target instanceof Int32Array ? problem.target : new Int32Array(0);
  const withOut = { ...problem, out };
  checkOutArrays({ ...withOut, input: typedInput, target: typedTarget } as Problem, others);
  return withOut;
}

/** The `out` of a `'gpu-buffer'` call: GpuTensors of the results' shapes, checked. */
function readGpuOut(
  out: GpuOutTensors,
  outputShape: readonly number[],
  inputShape: readonly number[],
  inputs: readonly unknown[],
): GpuOutTensors {
  const used = inputs.filter(isGpuTensor).map((tensor) => tensor.buffer);
  const read: { output?: GpuTensor; gradInput?: GpuTensor } = {};
  for (const [name, value, shape] of [
    ['output', out.output, outputShape],
    ['gradInput', out.gradInput, inputShape],
  ] as const) {
    if (value === undefined) continue;
    if (!isGpuTensor(value) || value.dtype !== 'float32') {
      throw new LossError(
        'INVALID_OPTIONS',
        `with outputLocation 'gpu-buffer', out.${name} must be a float32 GpuTensor, but got: ${describe(value)}`,
      );
    }
    const given = checkShape(value.shape, `out.${name}`);
    if (given.length !== shape.length || given.some((size, i) => size !== shape[i])) {
      throw new LossError(
        'INVALID_OPTIONS',
        `out.${name} has shape ${formatShape(given)} but the result has shape ${formatShape(shape)}`,
      );
    }
    const needed = Math.max(1, elementCount(shape)) * 4;
    const size = (value.buffer as { size?: unknown }).size;
    if (typeof size === 'number' && size < needed) {
      throw new LossError(
        'INVALID_OPTIONS',
        `out.${name}'s buffer has ${size} bytes but the result needs ${needed}`,
      );
    }
    if (used.includes(value.buffer)) {
      throw new LossError(
        'INVALID_OPTIONS',
        `out.${name} is a buffer of the call's inputs; pass a buffer of its own`,
      );
    }
    used.push(value.buffer);
    read[name] = { buffer: value.buffer, shape: given, dtype: 'float32' };
  }
  return read;
}

/** A typed-array or GPU tensor's data and shape, each read once, checked for dtype and size. */
function readTensor(
  tensor: Tensor<FloatArray> | Tensor<Int32Array> | GpuTensor,
  what: 'input' | 'target',
  dtype: 'float32' | 'int32',
): { data: FloatArray | Int32Array | GpuTensor; shape: readonly number[] } {
  if (isGpuTensor(tensor)) {
    const shape = checkShape(tensor.shape, what);
    if (tensor.dtype !== dtype) {
      throw new LossError(
        'INVALID_DTYPE',
        `a GpuTensor ${what} must have dtype '${dtype}', but got: '${tensor.dtype}'`,
      );
    }
    const needed = elementCount(shape) * 4;
    const size = (tensor.buffer as { size?: unknown }).size;
    if (typeof size === 'number' && size < needed) {
      throw new LossError(
        'INVALID_DTYPE',
        `${what} GpuTensor's buffer has ${size} bytes but its shape ${formatShape(shape)} needs ${needed}`,
      );
    }
    return { data: { buffer: tensor.buffer, shape, dtype }, shape };
  }
  const data: unknown = (tensor as { data?: unknown } | undefined)?.data;
  const ok =
    dtype === 'float32'
      ? data instanceof Float32Array || data instanceof Float64Array
      : data instanceof Int32Array;
  if (!ok) {
    throw new LossError(
      'INVALID_DTYPE',
      `${what} must be a ${dtype === 'float32' ? 'Float32Array' : 'Int32Array'} tensor or a '${dtype}' GpuTensor on this backend, but got: ${describe(data)}`,
    );
  }
  const typed = data as FloatArray | Int32Array;
  const shape = checkShape((tensor as Tensor<FloatArray>).shape, what);
  checkLength(typed.length, shape, what);
  return { data: typed, shape };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}
