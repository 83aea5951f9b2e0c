import { type BackwardProblem, outputArrayFor, type Problem } from './Problem.js';
import type { FloatArray } from './types.js';

/**
 * The forward output from the rows' sums `S_n` (in double), with DESIGN §2's operations in the
 * reference's order: `S_n / C` per sample for `none`; otherwise `Σ S_n` in row order, `/ C`, and
 * `/ N` for `mean`, rounded to the dtype once. Every backend reduces through this one function, so
 * the same row sums give the same output bits everywhere. Writes into the caller's `out.output`
 * when the problem has one.
 */
export function reduceRowSums(problem: Problem, sums: ArrayLike<number>): FloatArray {
  const { batch, classes, reduction } = problem;
  const output = outputArrayFor(problem);
  if (reduction === 'none') {
    for (let n = 0; n < batch; n++) output[n] = sums[n]! / classes;
    return output;
  }
  let total = 0;
  for (let n = 0; n < batch; n++) total += sums[n]!;
  total /= classes;
  if (reduction === 'mean') total /= batch;
  output[0] = total;
  return output;
}

/** `g` of DESIGN §2: what one counted pair adds to the gradient, before `grad_output`: `1/C`, or `1/(N·C)` for `mean`. */
export function gradientUnit(problem: Problem): number {
  return problem.reduction === 'mean' ? 1 / (problem.batch * problem.classes) : 1 / problem.classes;
}

/** The `grad_output` value that scales row `n`'s gradient: its own for `none`, the scalar otherwise. */
export function gradOutputOfRow(problem: BackwardProblem, n: number): number {
  return problem.reduction === 'none' ? problem.gradOutput[n]! : problem.gradOutput[0]!;
}
