import type { Dtype, FloatArray, OutArrays, Reduction } from './types.js';

/**
 * A validated call, in the flat form kernels consume: `input` is `[batch, classes]` row-major
 * whatever the user's rank, and `target` is the same size.
 */
export interface Problem {
  /** The input's precision; every output array has it too. */
  readonly dtype: Dtype;
  /** The input data (never to be mutated). */
  readonly input: FloatArray;
  /**
   * The target data (never to be mutated), values in [-1, classes - 1]; for a kernel that checks
   * the range itself (`LossKernel.checksTargetRange`), not yet checked.
   */
  readonly target: Int32Array;
  /** N: 1 for 0-dim and 1-D input. */
  readonly batch: number;
  /** C: the number of classes, at least 1. */
  readonly classes: number;
  /** The resolved reduction (legacy options applied). */
  readonly reduction: Reduction;
  /** A copy of the input shape (made for this call: results may hand it out), which the gradient takes. */
  readonly inputShape: readonly number[];
  /** The shape of the forward output, made for this call: `[N]` for 2-D input with `none`, else `[]`. */
  readonly outputShape: readonly number[];
  /**
   * The caller's arrays for the results (validated: the problem's dtype and exact lengths, no
   * overlap with the inputs). A kernel may write its results straight into them and return them
   * ({@link outputArrayFor}, {@link gradientArrayFor}); whatever else it returns is copied in.
   */
  readonly out?: OutArrays;
}

/** A {@link Problem} together with the incoming gradient of a backward call. */
export interface BackwardProblem extends Problem {
  /**
   * The gradient of the output, one value per sample (`none`) or one scalar (`mean`/`sum`), with
   * the input's dtype.
   */
  readonly gradOutput: FloatArray;
}

/** Creates an array of the given dtype. */
export function allocate(dtype: Dtype, length: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

/** The length of a problem's forward output: N for `none`, else 1. */
export function outputLength(problem: Problem): number {
  return problem.reduction === 'none' ? problem.batch : 1;
}

/**
 * The array a kernel writes the forward output into: the caller's `out.output` when given, else a
 * fresh one of {@link outputLength}. Its contents are not cleared: write every element.
 */
export function outputArrayFor(problem: Problem): FloatArray {
  return problem.out?.output ?? allocate(problem.dtype, outputLength(problem));
}

/**
 * The array a kernel accumulates the gradient into: the caller's `out.gradInput` (cleared to
 * zeros) when given, else a fresh zero-filled one of the input's length.
 */
export function gradientArrayFor(problem: Problem): FloatArray {
  const given = problem.out?.gradInput;
  if (given === undefined) return allocate(problem.dtype, problem.batch * problem.classes);
  given.fill(0);
  return given;
}

/**
 * The backward problem of `problem` with `gradOutput`: an object of one of two fixed shapes (with
 * or without `out`) written out field by field, as validation returns them on every call.
 */
export function withGradOutput(problem: Problem, gradOutput: FloatArray): BackwardProblem {
  const { dtype, input, target, batch, classes, reduction, inputShape, outputShape, out } = problem;
  if (out === undefined)
    return { dtype, input, target, batch, classes, reduction, inputShape, outputShape, gradOutput };
  return { dtype, input, target, batch, classes, reduction, inputShape, outputShape, out, gradOutput };
}
