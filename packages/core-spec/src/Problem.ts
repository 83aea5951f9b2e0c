import type { Dtype, FloatArray, Reduction } from './types.js';

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
  /** The user's input shape, which the gradient takes. */
  readonly inputShape: readonly number[];
  /** The shape of the forward output: `[N]` for 2-D input with `none`, else `[]`. */
  readonly outputShape: readonly number[];
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
