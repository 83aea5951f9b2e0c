import { type BackwardProblem, gradientArrayFor, type Problem } from './Problem.js';
import { gradientUnit, gradOutputOfRow, reduceRowSums } from './reduceRowSums.js';
import type { FloatArray } from './types.js';

/*
 * The executable definition of DESIGN §2: PyTorch's O(N·J·C) loops, written to be read, not to be
 * fast. Every backend is compared with these. Decisions are PyTorch's to the bit; values are
 * DESIGN's: terms and sums in double, rounded to the dtype once. (PyTorch also rounds each term
 * and each row's sum to float32, so its float32 losses can differ from these in the last bit.)
 */

/** Rounds a double to the problem's dtype (round to nearest even, like C's cast). */
function roundTo(problem: Problem): (value: number) => number {
  return problem.dtype === 'float32' ? Math.fround : (value) => value;
}

/** J: the number of leading targets before the first -1 of a row. */
export function countTargets(target: Int32Array, offset: number, classes: number): number {
  let j = 0;
  while (j < classes && target[offset + j]! >= 0) j++;
  return j;
}

/**
 * Visits every counted pair (j, d) of one row: `d` is not a target and PyTorch's margin test
 * `fl(1 - x[y_j]) + x[d] > 0` holds. `term` is `fl(1 - x[y_j]) + x[d]` in double: its sign is the
 * sign of the sum rounded to the dtype (rounding keeps signs, and two floats' nonzero sum never
 * rounds to 0), so testing it decides exactly as PyTorch does.
 */
function forEachCountedPair(
  problem: Problem,
  row: number,
  visit: (targetClass: number, otherClass: number, term: number) => void,
): void {
  const { input, target, classes } = problem;
  const round = roundTo(problem);
  const offset = row * classes;
  const targetCount = countTargets(target, offset, classes);
  const isTarget = new Uint8Array(classes);
  for (let j = 0; j < targetCount; j++) isTarget[target[offset + j]!] = 1;
  for (let j = 0; j < targetCount; j++) {
    const y = target[offset + j]!;
    const a = round(1 - input[offset + y]!);
    for (let d = 0; d < classes; d++) {
      if (isTarget[d]) continue;
      const term = a + input[offset + d]!;
      if (term > 0) visit(y, d, term);
    }
  }
}

/** S_n: the unnormalised hinge sum of one row, accumulated in double. */
function rowSum(problem: Problem, row: number): number {
  let sum = 0;
  forEachCountedPair(problem, row, (_y, _d, term) => {
    sum += term;
  });
  return sum;
}

/** The forward loss, as DESIGN §2 defines it (output data only; its shape is `problem.outputShape`). */
export function referenceForward(problem: Problem): FloatArray {
  const sums = new Float64Array(problem.batch);
  for (let n = 0; n < problem.batch; n++) sums[n] = rowSum(problem, n);
  return reduceRowSums(problem, sums);
}

/**
 * The gradient w.r.t. the input: for every counted pair, `+g` at the non-target and `-g` at the
 * target, accumulated in double as whole counts, then scaled by `grad_output` once.
 */
export function referenceBackward(problem: BackwardProblem): FloatArray {
  const { batch, classes } = problem;
  const counts = new Float64Array(batch * classes);
  for (let n = 0; n < batch; n++) {
    const offset = n * classes;
    forEachCountedPair(problem, n, (y, d) => {
      counts[offset + d]! += 1;
      counts[offset + y]! -= 1;
    });
  }
  const g = gradientUnit(problem);
  const grad = gradientArrayFor(problem);
  for (let n = 0; n < batch; n++) {
    const scale = gradOutputOfRow(problem, n);
    for (let c = 0; c < classes; c++) {
      const i = n * classes + c;
      grad[i] = counts[i]! * g * scale;
    }
  }
  return grad;
}
