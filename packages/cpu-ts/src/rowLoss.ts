import { buildForwardTable, lossTabled, tabledTerm } from './forwardTable.js';
import { type RowContext, rowSum } from './rowKernel.js';
import { countBelow } from './sortAscending.js';

/*
 * The forward-only twin of `rowSum` (see rowKernel.ts for the method): the same margin decisions
 * and terms, but no per-class counts (only the gradient needs them), read straight from the input.
 * Up to 8 thresholds, each term is summed as a branch-free relu of v - t (no comparisons or table
 * reads); beyond, a bucket table (forwardTable.ts) answers with one typed array per value.
 */

/**
 * The unnormalised loss S_n (double) of the row {@link prepareRow} just read at `offset`, skipping
 * the row's target classes.
 */
export function rowLoss(context: RowContext, offset: number, targetCount: number, size: number): number {
  if (size === 0) return 0;
  const { input, classes, scratch } = context;
  // The loops keep indices in int32 (`| 0`); rows beyond 2^31 elements (8 GiB of float32) take the
  // gradient's row kernel, which indexes a copy of the row.
  if (offset + classes > 0x7fffffff) return rowSum(context, offset, targetCount, size);
  let strategy = TABLED;
  if (size <= 4) strategy = RELU_4;
  else if (size === 5) strategy = RELU_5;
  else if (size <= 6) strategy = RELU_6;
  else if (size <= 8) strategy = RELU_8;
  // Thresholds the forward table cannot take (infinite, tied, or clustered so that a bucket would
  // hold three): the gradient's row kernel, whose count table refines further, gives the sum.
  else if (!buildForwardTable(scratch, size, classes)) return rowSum(context, offset, targetCount, size);
  const { targetClasses, thresholds, forwardTable, paddedThresholds } = scratch;
  if (strategy === TABLED) {
    const sum = wholeRowTabledLoss(input, offset, classes, targetClasses, targetCount, forwardTable);
    if (!Number.isNaN(sum)) return sum;
  }
  if (strategy <= RELU_8) {
    // A loop, not set(subarray()): no typed array allocated per row.
    for (let k = 0; k < 8; k++) paddedThresholds[k] = k < size ? thresholds[k]! : EMPTY_THRESHOLD;
  }
  let sum = 0;
  let from = offset;
  const end = offset + classes;
  for (let j = 0; j <= targetCount; j++) {
    const to = j < targetCount ? offset + targetClasses[j]! : end;
    if (to > from) {
      if (strategy === RELU_4) sum += twiceLossRelu4(input, from, to, paddedThresholds);
      else if (strategy === RELU_5) sum += twiceLossRelu5(input, from, to, paddedThresholds);
      else if (strategy === RELU_6) sum += twiceLossRelu6(input, from, to, paddedThresholds);
      else if (strategy === RELU_8) sum += twiceLossRelu8(input, from, to, paddedThresholds);
      else sum += lossTabled(input, from, to, forwardTable);
    }
    if (to + 1 > from) from = to + 1;
  }
  if (strategy > RELU_8) return sum;
  // The relu loops do not test for NaN and infinities: such a value or threshold makes the sum NaN
  // or infinite (so does an overflowing term), and then the row is summed again, value by value.
  if (!Number.isFinite(sum)) return checkedRowLoss(context, offset, targetCount, size);
  return 0.5 * sum;
}

/**
 * The tabled row loss in one loop over the whole row, target classes included, minus the target
 * classes' terms (each class once, however often it is a target): one long loop instead of J + 1
 * short ones. NaN when that subtraction could lose accuracy (target terms above half the total, or
 * anything infinite): then the caller skips the targets instead.
 */
function wholeRowTabledLoss(
  input: Float32Array | Float64Array,
  offset: number,
  classes: number,
  targetClasses: Int32Array,
  targetCount: number,
  table: Float64Array,
): number {
  const total = lossTabled(input, offset, offset + classes, table);
  let targetTerms = 0;
  for (let j = 0; j < targetCount; j++) {
    const y = targetClasses[j]!;
    if (j === 0 || y !== targetClasses[j - 1]) targetTerms += tabledTerm(input[offset + y]!, table);
  }
  // With the targets at most half the total, the difference keeps the total's relative accuracy
  // (within a factor 2).
  if (total < Number.POSITIVE_INFINITY && targetTerms <= 0.5 * total) return total - targetTerms;
  return Number.NaN;
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

const RELU_4 = 0;
const RELU_5 = 1;
const RELU_6 = 2;
const RELU_8 = 3;
const TABLED = 4;

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
