// @ts-check
import { gradientArrayFor, outputArrayFor } from '@mlml/core-spec';

/**
 * @import { BackwardProblem, FloatArray, LossKernel, Problem } from '@mlml/core-spec'
 */

/**
 * The row sums S_n of DESIGN §2 and, when `counts` is given, each class's net count of counted
 * pairs (+1 per pair at the non-target, -1 at the target). PyTorch's loops, O(N·J·C): replace
 * them with your fast version, keeping the margin test exactly as it is.
 * @param {Problem} problem
 * @param {Float64Array | undefined} counts
 * @returns {Float64Array}
 */
function rowSums(problem, counts) {
  const { input, target, batch, classes, dtype } = problem;
  // The margin test in the input's precision: a = fl(1 - x[y]) rounded to float32 for float32.
  const round = dtype === 'float32' ? Math.fround : (/** @type {number} */ v) => v;
  const sums = new Float64Array(batch);
  const isTarget = new Uint8Array(classes);
  for (let n = 0; n < batch; n++) {
    const offset = n * classes;
    // J: the targets before the first -1 (everything from it on is ignored).
    let targets = 0;
    while (targets < classes && /** @type {number} */ (target[offset + targets]) >= 0) targets++;
    isTarget.fill(0);
    for (let j = 0; j < targets; j++) isTarget[/** @type {number} */ (target[offset + j])] = 1;
    let sum = 0; // in double, rounded once at the end (DESIGN §2's accuracy rule)
    for (let j = 0; j < targets; j++) {
      const y = /** @type {number} */ (target[offset + j]);
      const a = round(1 - /** @type {number} */ (input[offset + y]));
      for (let d = 0; d < classes; d++) {
        if (isTarget[d]) continue;
        const term = a + /** @type {number} */ (input[offset + d]);
        // Strict: a term equal to 0 counts for nothing; NaN never counts.
        if (term > 0) {
          sum += term;
          if (counts) {
            counts[offset + d] = /** @type {number} */ (counts[offset + d]) + 1;
            counts[offset + y] = /** @type {number} */ (counts[offset + y]) - 1;
          }
        }
      }
    }
    sums[n] = sum;
  }
  return sums;
}

/**
 * The forward output from the row sums: S_n / C per sample for 'none', else their sum / C (and
 * / N for 'mean'). Written into the caller's `out.output` when there is one.
 * @param {Problem} problem
 * @param {Float64Array} sums
 * @returns {FloatArray}
 */
function reduce(problem, sums) {
  const output = outputArrayFor(problem);
  if (problem.reduction === 'none') {
    for (let n = 0; n < problem.batch; n++) output[n] = /** @type {number} */ (sums[n]) / problem.classes;
    return output;
  }
  let total = 0;
  for (const s of sums) total += s;
  total /= problem.classes;
  if (problem.reduction === 'mean') total /= problem.batch;
  output[0] = total;
  return output;
}

/**
 * The gradient from the net counts: count * g * grad_output, g = 1/C ('none', 'sum') or 1/(N·C)
 * ('mean'); grad_output has one value per sample for 'none', one scalar otherwise.
 * @param {BackwardProblem} problem
 * @param {Float64Array} counts
 * @returns {FloatArray}
 */
function gradient(problem, counts) {
  const { batch, classes, reduction, gradOutput } = problem;
  const g = reduction === 'mean' ? 1 / (batch * classes) : 1 / classes;
  const grad = gradientArrayFor(problem); // the caller's out.gradInput (zeroed) or a fresh array
  for (let n = 0; n < batch; n++) {
    const scale = /** @type {number} */ (reduction === 'none' ? gradOutput[n] : gradOutput[0]);
    for (let c = 0; c < classes; c++) {
      const i = n * classes + c;
      grad[i] = /** @type {number} */ (counts[i]) * g * scale;
    }
  }
  return grad;
}

/**
 * A LossKernel: the arithmetic only. LossBackend has validated every call before (shapes, target
 * range, options, dtypes), answered empty batches, and flattened the input to [batch, classes].
 * @type {LossKernel}
 */
export const naiveKernel = {
  forward: (problem) => reduce(problem, rowSums(problem, undefined)),
  backward: (problem) => {
    const counts = new Float64Array(problem.batch * problem.classes);
    rowSums(problem, counts);
    return gradient(problem, counts);
  },
  forwardBackward: (problem) => {
    const counts = new Float64Array(problem.batch * problem.classes);
    const sums = rowSums(problem, counts);
    return { output: reduce(problem, sums), gradInput: gradient(problem, counts) };
  },
};
