import {
  allocate,
  type BackwardProblem,
  countTargets,
  type FloatArray,
  type KernelResult,
  type LossKernel,
  type Problem,
} from '@mlml/core-spec';
import { RowScratch } from './RowScratch.js';
import { prepareRow, type RowContext, rowGradient, rowSum } from './rowKernel.js';
import { rowLoss } from './rowLoss.js';

/**
 * The arithmetic of the 'cpu-ts' backend: per sample, the J thresholds `-fl(1 - x[y_j])` are
 * sorted once and every other class is placed among them without branching on the data, which
 * gives the loss and the gradient in O(C + J log J) time for typical data instead of PyTorch's
 * O(J·C). Scratch memory is kept between calls; results are fresh arrays. Wrap it in core-spec's
 * `LossBackend` (as `createCpuTsBackend` does) to get validation and the empty batch.
 */
export class CpuTsKernel implements LossKernel {
  readonly #scratch = new RowScratch();

  /** The loss: one value per sample (`none`) or their sum / mean, accumulated in double. */
  forward(problem: Problem): FloatArray {
    return this.#run(problem, true, null).output;
  }

  /** The gradient w.r.t. the input, scaled by `problem.gradOutput`. */
  backward(problem: BackwardProblem): FloatArray {
    return this.#run(problem, false, problem.gradOutput).gradInput;
  }

  /** Loss and gradient in one pass over the input. */
  forwardBackward(problem: BackwardProblem): KernelResult {
    return this.#run(problem, true, problem.gradOutput);
  }

  #run(problem: Problem, wantLoss: boolean, gradOutput: FloatArray | null): KernelResult {
    const { batch, classes, reduction, dtype, input, target } = problem;
    this.#scratch.ensure(classes);
    const float32 = dtype === 'float32';
    const context: RowContext = { input, target, classes, float32, scratch: this.#scratch };
    const perSample = reduction === 'none';
    const output = allocate(dtype, wantLoss ? (perSample ? batch : 1) : 0);
    const gradInput = allocate(dtype, gradOutput === null ? 0 : batch * classes);
    const g = reduction === 'mean' ? 1 / (batch * classes) : 1 / classes;
    let total = 0;
    for (let n = 0; n < batch; n++) {
      const offset = n * classes;
      const targetCount = countTargets(target, offset, classes);
      const size = prepareRow(context, offset, targetCount);
      const sum =
        gradOutput === null
          ? rowLoss(context, offset, targetCount, size)
          : rowSum(context, offset, targetCount, size);
      if (perSample) {
        if (wantLoss) output[n] = sum / classes;
      } else total += sum;
      if (gradOutput !== null) {
        const scale = perSample ? gradOutput[n]! : gradOutput[0]!;
        rowGradient(context, offset, targetCount, size, gradInput, g, scale);
      }
    }
    if (wantLoss && !perSample) {
      total /= classes;
      if (reduction === 'mean') total /= batch;
      output[0] = total;
    }
    return { output, gradInput };
  }
}
