import type { BackwardProblem, Problem } from './Problem.js';
import type { FloatArray } from './types.js';

/** The output and gradient data of a fused call. */
export interface KernelResult {
  /** Forward output data (length N for `none`, else 1). */
  readonly output: FloatArray;
  /** Gradient data, the input's length. */
  readonly gradInput: FloatArray;
}

/**
 * What a backend author writes: the arithmetic only. {@link LossBackend} validates every call
 * with the shared rules first, answers empty batches itself, and hands the kernel a
 * {@link Problem} with `batch >= 1`. A kernel returns fresh arrays of the problem's dtype and
 * never mutates its inputs.
 */
export interface LossKernel {
  /** Forward output data: length `batch` for `none`, else 1. */
  forward(problem: Problem): FloatArray | Promise<FloatArray>;
  /** Gradient data: length `batch * classes`. */
  backward(problem: BackwardProblem): FloatArray | Promise<FloatArray>;
  /** Both at once, ideally in one pass. */
  forwardBackward(problem: BackwardProblem): KernelResult | Promise<KernelResult>;
  /**
   * Optional: a faster target range check for validation (same answer as the shared one: the
   * index of the first element outside [-1, classes - 1], or -1), or `undefined` to leave this
   * call to the shared check. Called before any other method.
   */
  findTargetOutOfRange?(target: Int32Array, classes: number): number | undefined;
  /** Releases resources (buffers, devices). */
  dispose?(): void | Promise<void>;
}
