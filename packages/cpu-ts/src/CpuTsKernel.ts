import {
  allocate,
  type BackwardProblem,
  countTargets,
  type FloatArray,
  gradientUnit,
  gradOutputOfRow,
  type KernelResult,
  type LossKernel,
  type Problem,
  reduceRowSums,
} from '@mlml/core-spec';
import { DIRECT_PAIRS_MAX, directForwardRows, directRowLoss, directRowLossCounts } from './directRow.js';
import { RowScratch } from './RowScratch.js';
import { prepareRow, type RowContext, rowGradient, rowSum } from './rowKernel.js';
import { rowLoss } from './rowLoss.js';

/**
 * The arithmetic of the 'cpu-ts' backend: per sample, the J thresholds `-fl(1 - x[y_j])` are
 * sorted once and every other class is placed among them without branching on the data, which
 * gives the loss and the gradient in O(C + J log J) time for typical data instead of PyTorch's
 * O(J·C) (rows with few pairs take a branch-free O(J·C) pair loop, directRow.ts). Scratch memory
 * is kept between calls.
 * Results go straight into the caller's `out` arrays when given (returned as they are), else into
 * fresh arrays. Wrap it in core-spec's `LossBackend` (as `createCpuTsBackend` does) to get
 * validation and the empty batch.
 */
export class CpuTsKernel implements LossKernel {
  readonly #scratch = new RowScratch();
  /** Per-sample sums of the current call (grown, never shrunk). */
  #rowSums = new Float64Array(0);

  /** The loss: one value per sample (`none`) or their sum / mean, accumulated in double. */
  forward(problem: Problem): FloatArray {
    return this.#run(problem, true, null).output;
  }

  /** The gradient w.r.t. the input, scaled by `problem.gradOutput`. */
  backward(problem: BackwardProblem): FloatArray {
    return this.#run(problem, false, problem).gradInput;
  }

  /** Loss (bit for bit what `forward` gives) and gradient in one call. */
  forwardBackward(problem: BackwardProblem): KernelResult {
    return this.#run(problem, true, problem);
  }

  #run(problem: Problem, wantLoss: boolean, gradProblem: BackwardProblem | null): KernelResult {
    const { batch, classes, dtype, input, target } = problem;
    const scratch = this.#scratch;
    scratch.ensure(classes);
    const float32 = dtype === 'float32';
    const context: RowContext = { input, target, classes, float32, scratch };
    if (this.#rowSums.length < batch)
      this.#rowSums = new Float64Array(Math.max(batch, 2 * this.#rowSums.length));
    const sums = this.#rowSums;
    // Every element of the gradient is written below, so the caller's array needs no clearing.
    const gradInput =
      gradProblem === null ? EMPTY[dtype] : (problem.out?.gradInput ?? allocate(dtype, batch * classes));
    const g = gradientUnit(problem);
    const { keepWeights, gradientRow } = scratch;
    // Forward calls take runs of few-pairs rows of one or two targets in one loop
    // (directForwardRows); the rows it stops at come here.
    const directForward = gradProblem === null;
    let n = directForward
      ? directForwardRows(input, target, 0, batch, classes, float32, keepWeights, sums)
      : 0;
    for (; n < batch; n++) {
      const offset = n * classes;
      const targetCount = countTargets(target, offset, classes);
      if (targetCount * classes <= DIRECT_PAIRS_MAX) {
        if (gradProblem === null) {
          sums[n] = directRowLoss(input, target, offset, classes, targetCount, float32, keepWeights);
        } else {
          const sum = directRowLossCounts(
            input,
            target,
            offset,
            classes,
            targetCount,
            float32,
            keepWeights,
            gradientRow,
          );
          if (wantLoss) sums[n] = sum;
          const scale = gradOutputOfRow(gradProblem, n);
          for (let d = 0; d < classes; d++) gradInput[offset + d] = gradientRow[d]! * g * scale;
        }
      } else if (gradProblem === null) {
        sums[n] = rowLoss(context, offset, targetCount);
      } else {
        // The fused loss is forward's to the bit (conformance holds every backend to it): the
        // forward path sums it, and the count pass that the gradient needs runs after.
        if (wantLoss) sums[n] = rowLoss(context, offset, targetCount);
        const size = prepareRow(context, offset, targetCount);
        rowSum(context, offset, targetCount, size);
        rowGradient(context, offset, targetCount, size, gradInput, g, gradOutputOfRow(gradProblem, n));
      }
      if (directForward)
        n = directForwardRows(input, target, n + 1, batch, classes, float32, keepWeights, sums) - 1;
    }
    const output = wantLoss ? reduceRowSums(problem, sums) : EMPTY[dtype];
    return { output, gradInput };
  }
}

/** The empty result of the part a call does not compute (never written to). */
const EMPTY = { float32: new Float32Array(0), float64: new Float64Array(0) } as const;
