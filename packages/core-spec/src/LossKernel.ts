import type { GpuLossKernel } from './gpuProblem.js';
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
   * Whether the kernel checks the target range itself, on the data it reads anyway (e.g. in
   * SIMD, chunk by chunk, on several threads): its methods are then handed problems whose target
   * validation has not scanned, and must reject with `targetOutOfRangeError` for the first
   * element outside [-1, classes - 1] (the lowest index), never reading out of bounds. Every
   * other rule is still checked before the call, in DESIGN §2's order.
   * @default false
   */
  readonly checksTargetRange?: boolean;
  /**
   * The kernel's GPU-resident entry points: with them, calls with a GpuTensor input or target, or
   * `outputLocation: 'gpu-buffer'`, are validated into `GpuProblem`s and handed here; without
   * them such calls are rejected with `UNSUPPORTED_LOCATION`.
   * @default undefined
   */
  readonly gpu?: GpuLossKernel;
  /** Releases resources (buffers, devices). */
  dispose?(): void | Promise<void>;
}
