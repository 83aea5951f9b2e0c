import { buildForwardTable, lossTabled, tabledTerm } from './forwardTable.js';
import { prepareRow, type RowContext, rowSum } from './rowKernel.js';
import { countBelow, sortClasses } from './sortAscending.js';

/*
 * The forward-only twin of `rowSum` (see rowKernel.ts for the method): the same margin decisions
 * and terms, but no per-class counts (only the gradient needs them), read straight from the input.
 * Up to 8 thresholds, each term is summed as a branch-free relu of v - t (no comparisons or table
 * reads); beyond, a bucket table over the distinct thresholds (forwardTable.ts) answers with one
 * record per value.
 */

/** The unnormalised loss S_n (double) of the row at `offset` with `targetCount` targets. */
export function rowLoss(context: RowContext, offset: number, targetCount: number): number {
  const { classes } = context;
  // Target classes are sorted only where they are walked in order (the tabled path skips them by
  // subtraction).
  const size = prepareRow(context, offset, targetCount, false);
  if (size === 0) return 0;
  // The loops keep indices in int32 (`| 0`); rows beyond 2^31 elements (8 GiB of float32) take the
  // gradient's row kernel, which indexes a copy of the row.
  if (offset + classes > 0x7fffffff) return sortedRowSum(context, offset, targetCount, size);
  if (size > RELU_MAX) {
    // Thresholds the table cannot take (infinite or huge): the gradient's row kernel.
    if (!buildForwardTable(context.scratch, size, classes))
      return sortedRowSum(context, offset, targetCount, size);
    return tabledRowLoss(context, offset, targetCount, size);
  }
  return reluRowLoss(context, offset, targetCount, size);
}

/** {@link rowSum}, after sorting the target classes (which it walks in order). */
function sortedRowSum(context: RowContext, offset: number, targetCount: number, size: number): number {
  sortClasses(context.scratch.targetClasses, targetCount);
  return rowSum(context, offset, targetCount, size);
}

/** Rows with more than this many thresholds take the table. */
const RELU_MAX = 8;

/**
 * The tabled row loss in one loop over the whole row, target classes included, minus the target
 * classes' terms (each class once, however often it is a target): one long loop instead of J + 1
 * short ones. When that subtraction could lose accuracy (target terms above half the total, or
 * anything infinite), the target classes are skipped instead.
 */
function tabledRowLoss(context: RowContext, offset: number, targetCount: number, size: number): number {
  const { input, classes, scratch } = context;
  const { targetClasses, targetMarks } = scratch;
  const total = lossTabled(input, offset, offset + classes, scratch, size);
  let targetTerms = 0;
  for (let j = 0; j < targetCount; j++) {
    const y = targetClasses[j]!;
    if (targetMarks[y] === 0) {
      targetMarks[y] = 1;
      targetTerms += tabledTerm(input[offset + y]!, scratch, size);
    }
  }
  for (let j = 0; j < targetCount; j++) targetMarks[targetClasses[j]!] = 0;
  // With the targets at most half the total, the difference keeps the total's relative accuracy
  // (within a factor 2).
  if (total < Number.POSITIVE_INFINITY && targetTerms <= 0.5 * total) return total - targetTerms;
  sortClasses(targetClasses, targetCount);
  let sum = 0;
  let from = offset;
  for (let j = 0; j <= targetCount; j++) {
    const to = j < targetCount ? offset + targetClasses[j]! : offset + classes;
    if (to > from) sum += lossTabled(input, from, to, scratch, size);
    if (to + 1 > from) from = to + 1;
  }
  return sum;
}

/** The relu loops, on a row of 1 to 8 thresholds prepareRow prepared. */
function reluRowLoss(context: RowContext, offset: number, targetCount: number, size: number): number {
  const { input, classes, scratch } = context;
  let strategy = RELU_8;
  if (size <= 4) strategy = RELU_4;
  else if (size === 5) strategy = RELU_5;
  else if (size <= 6) strategy = RELU_6;
  const { targetClasses, targetMarks, thresholds, paddedThresholds } = scratch;
  // A loop, not set(subarray()): no typed array allocated per row.
  for (let k = 0; k < 8; k++) paddedThresholds[k] = k < size ? thresholds[k]! : EMPTY_THRESHOLD;
  // One loop over the whole row, then minus the target classes' terms (each class once), as in
  // tabledRowLoss: a row of a few short segments costs a call per segment otherwise.
  const end = offset + classes;
  const whole = twiceRelu(strategy, input, offset, end, paddedThresholds);
  if (whole < Number.POSITIVE_INFINITY) {
    let targetTerms = 0;
    for (let j = 0; j < targetCount; j++) {
      const y = targetClasses[j]!;
      if (targetMarks[y] !== 0) continue;
      targetMarks[y] = 1;
      const value = input[offset + y]!;
      for (let k = 0; k < size; k++) {
        const a = value - thresholds[k]!;
        targetTerms += a + Math.abs(a);
      }
    }
    for (let j = 0; j < targetCount; j++) targetMarks[targetClasses[j]!] = 0;
    if (targetTerms <= 0.5 * whole) return 0.5 * (whole - targetTerms);
  }
  sortClasses(targetClasses, targetCount);
  let sum = 0;
  let from = offset;
  for (let j = 0; j <= targetCount; j++) {
    const to = j < targetCount ? offset + targetClasses[j]! : end;
    if (to > from) sum += twiceRelu(strategy, input, from, to, paddedThresholds);
    if (to + 1 > from) from = to + 1;
  }
  // The relu loops do not test for NaN and infinities: such a value or threshold makes the sum NaN
  // or infinite (so does an overflowing term), and then the row is summed again, value by value.
  if (!Number.isFinite(sum)) return checkedRowLoss(context, offset, targetCount, size);
  return 0.5 * sum;
}

/** {@link rowLoss} with every value taking the checked path. */
function checkedRowLoss(context: RowContext, offset: number, targetCount: number, size: number): number {
  const { input, classes, scratch } = context;
  const { targetClasses, thresholds, below, gapSums } = scratch;
  let sum = 0;
  let from = offset;
  for (let j = 0; j <= targetCount; j++) {
    const to = j < targetCount ? offset + targetClasses[j]! : offset + classes;
    for (let d = from; d < to; d++) sum += checkedLoss(thresholds, below, gapSums, size, input[d]!);
    if (to + 1 > from) from = to + 1;
  }
  return sum;
}

/** Twice the relu sum of values `row[from..to)` with the loop of `strategy`. */
function twiceRelu(
  strategy: number,
  row: Float32Array | Float64Array,
  from: number,
  to: number,
  thresholds: Float64Array,
): number {
  if (strategy === RELU_4) return twiceLossRelu4(row, from, to, thresholds);
  if (strategy === RELU_5) return twiceLossRelu5(row, from, to, thresholds);
  if (strategy === RELU_6) return twiceLossRelu6(row, from, to, thresholds);
  return twiceLossRelu8(row, from, to, thresholds);
}

const RELU_4 = 0;
const RELU_5 = 1;
const RELU_6 = 2;
const RELU_8 = 3;

/**
 * Pads the relu loops' thresholds: v - it is finite and negative for every finite v, so it adds
 * exactly 0 (an infinite pad would make -inf + inf = NaN).
 */
const EMPTY_THRESHOLD = Number.MAX_VALUE;

/*
 * Up to 8 thresholds: the row's sum of max(0, v - t) over thresholds t, as (a + |a|) with
 * a = v - t, which is exactly 2a when a > 0 and exactly 0 otherwise (the margin test a > 0 is
 * PyTorch's, see rowKernel.ts), so no comparison, branch or table read per value. The loops return
 * twice the sum (halved once per row, exactly). `from` and `to` go through `| 0` so that V8 keeps
 * the loop index an untagged int32 whatever the caller passed.
 */

/** Up to 4 thresholds (padded): twice the sum of the terms of values `row[from..to)`. */
function twiceLossRelu4(row: Float32Array | Float64Array, from: number, to: number, t: Float64Array): number {
  const t0 = t[0]!;
  const t1 = t[1]!;
  const t2 = t[2]!;
  const t3 = t[3]!;
  const end = to | 0;
  let sum = 0;
  for (let d = from | 0; d < end; d++) {
    const value = row[d]!;
    const a0 = value - t0;
    const a1 = value - t1;
    const a2 = value - t2;
    const a3 = value - t3;
    sum += a0 + Math.abs(a0) + (a1 + Math.abs(a1)) + (a2 + Math.abs(a2) + (a3 + Math.abs(a3)));
  }
  return sum;
}

/** Exactly 5 thresholds (the common J = 5), as {@link twiceLossRelu4}. */
function twiceLossRelu5(row: Float32Array | Float64Array, from: number, to: number, t: Float64Array): number {
  const t0 = t[0]!;
  const t1 = t[1]!;
  const t2 = t[2]!;
  const t3 = t[3]!;
  const t4 = t[4]!;
  const end = to | 0;
  let sum = 0;
  for (let d = from | 0; d < end; d++) {
    const value = row[d]!;
    const a0 = value - t0;
    const a1 = value - t1;
    const a2 = value - t2;
    const a3 = value - t3;
    const a4 = value - t4;
    sum +=
      a0 +
      Math.abs(a0) +
      (a1 + Math.abs(a1)) +
      (a2 + Math.abs(a2) + (a3 + Math.abs(a3))) +
      (a4 + Math.abs(a4));
  }
  return sum;
}

/** Up to 6 thresholds (padded), as {@link twiceLossRelu4}. */
function twiceLossRelu6(row: Float32Array | Float64Array, from: number, to: number, t: Float64Array): number {
  const t0 = t[0]!;
  const t1 = t[1]!;
  const t2 = t[2]!;
  const t3 = t[3]!;
  const t4 = t[4]!;
  const t5 = t[5]!;
  const end = to | 0;
  let sum = 0;
  for (let d = from | 0; d < end; d++) {
    const value = row[d]!;
    const a0 = value - t0;
    const a1 = value - t1;
    const a2 = value - t2;
    const a3 = value - t3;
    const a4 = value - t4;
    const a5 = value - t5;
    sum +=
      a0 +
      Math.abs(a0) +
      (a1 + Math.abs(a1)) +
      (a2 + Math.abs(a2) + (a3 + Math.abs(a3))) +
      (a4 + Math.abs(a4) + (a5 + Math.abs(a5)));
  }
  return sum;
}

/** Up to 8 thresholds (padded), as {@link twiceLossRelu4}. */
function twiceLossRelu8(row: Float32Array | Float64Array, from: number, to: number, t: Float64Array): number {
  const t0 = t[0]!;
  const t1 = t[1]!;
  const t2 = t[2]!;
  const t3 = t[3]!;
  const t4 = t[4]!;
  const t5 = t[5]!;
  const t6 = t[6]!;
  const t7 = t[7]!;
  const end = to | 0;
  let sum = 0;
  for (let d = from | 0; d < end; d++) {
    const value = row[d]!;
    const a0 = value - t0;
    const a1 = value - t1;
    const a2 = value - t2;
    const a3 = value - t3;
    const a4 = value - t4;
    const a5 = value - t5;
    const a6 = value - t6;
    const a7 = value - t7;
    sum +=
      a0 +
      Math.abs(a0) +
      (a1 + Math.abs(a1)) +
      (a2 + Math.abs(a2) + (a3 + Math.abs(a3))) +
      (a4 + Math.abs(a4) + (a5 + Math.abs(a5)) + (a6 + Math.abs(a6) + (a7 + Math.abs(a7))));
  }
  return sum;
}

/** The term of one value, for any value: NaN passes nothing, +inf every finite threshold. */
function checkedLoss(
  thresholds: Float64Array,
  below: Float64Array,
  gapSums: Float64Array,
  size: number,
  value: number,
): number {
  const count = countBelow(thresholds, size, value);
  if (count === 0) return 0;
  return count * (value - below[count]!) + gapSums[count]!;
}
