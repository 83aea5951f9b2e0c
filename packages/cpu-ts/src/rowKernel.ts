import { MAX_BUCKETS_PER_CLASS, type RowScratch, THRESHOLD_PADDING } from './RowScratch.js';
import { countBelow, sortClasses, sortThresholds } from './sortAscending.js';

/*
 * One row (sample) of MultiLabelMarginLoss in O(C + J log J) time for typical data.
 *
 * With a_j = fl(1 - x[y_j]) in the input's precision and t_j = -a_j (negation is exact), the term
 * (j, d) counts iff a_j + x[d] > 0 as PyTorch rounds it. The rounded sum of two floats has the sign
 * of the exact sum (it cannot underflow to 0), so the test is exactly x[d] > t_j, NaN never
 * passing. For a non-target d passing k thresholds (sorted: t[0] <= t[1] <= ...),
 *   sum over counted j of (x[d] - t_j) = k * (x[d] - t[k-1]) + sum over i < k of (t[k-1] - t[i]),
 * a sum of non-negative parts (no cancellation, unlike k * x[d] - prefix(t)[k]). Sorted threshold
 * r is passed by every non-target whose k exceeds r, which gives the targets' side of the gradient
 * from a histogram of k.
 *
 * The count k is found without data-dependent branches (mispredictions dominate otherwise): up to
 * 8 thresholds by comparing with each; beyond, with a table of equal-width buckets over
 * [t[0], t[last]] that gives the number of thresholds in earlier buckets, plus a fixed number of
 * comparisons with the (at most two) thresholds of the value's own bucket. Values the fast paths
 * cannot take (NaN, infinities, far outside the table) take a checked per-value path.
 *
 * As DESIGN §2 (and the reference) define the value: terms and sums in double, rounded to the
 * dtype once at the end. (PyTorch also rounds each float32 term and row sum to float32, which can
 * move its float32 loss by a few units in the last place.)
 */

/** Up to this many thresholds a row counts by comparing with each (unrolled, in registers). */
const UNROLLED_MAX = 8;

/** The bucket table starts at this many buckets per threshold (capped by the row width)... */
const BUCKETS_PER_THRESHOLD = 16;

/** ...and is refined (x4) up to this many while a bucket holds too many thresholds. */
const MAX_BUCKETS_PER_THRESHOLD = 256;

/** No bucket may hold more thresholds than this (the lookup compares with this many). */
const MAX_PER_BUCKET = 2;

/** The per-row inputs that stay fixed over a whole call. */
export interface RowContext {
  /** The input data, `[batch, classes]` row-major. */
  readonly input: Float32Array | Float64Array;
  /** The target data, same layout. */
  readonly target: Int32Array;
  /** C. */
  readonly classes: number;
  /** Whether margins are decided (and terms rounded) in float32. */
  readonly float32: boolean;
  /** Reused working memory, already sized for `classes`. */
  readonly scratch: RowScratch;
}

/**
 * Reads the row's targets (`targetCount` of them, before the first -1) and fills the scratch:
 * each occurrence's threshold, the sorted non-NaN thresholds with their padding, `below`,
 * `gapSums`, and the target classes (sorted unless `sortTargetClasses` is false). Returns how many
 * sorted thresholds there are.
 */
export function prepareRow(
  context: RowContext,
  offset: number,
  targetCount: number,
  sortTargetClasses = true,
): number {
  const { input, target, float32, scratch } = context;
  const { thresholds, occurrenceThresholds, targetClasses, below, gapSums } = scratch;
  let size = 0;
  for (let j = 0; j < targetCount; j++) {
    const y = target[offset + j]!;
    targetClasses[j] = y;
    const value = input[offset + y]!;
    const threshold = -(float32 ? Math.fround(1 - value) : 1 - value);
    occurrenceThresholds[j] = threshold;
    if (!Number.isNaN(threshold)) thresholds[size++] = threshold;
  }
  sortThresholds(thresholds, size, scratch.gathered, scratch.bucketStart);
  if (sortTargetClasses) sortClasses(targetClasses, targetCount);
  // Loops rather than fill(): a builtin call per row costs more than these few stores.
  for (let k = size; k < size + THRESHOLD_PADDING; k++) thresholds[k] = Number.POSITIVE_INFINITY;
  below[0] = 0;
  gapSums[0] = 0;
  let sum = 0;
  for (let k = 1; k <= size; k++) {
    const upper = thresholds[k - 1]!;
    below[k] = upper;
    // Equal thresholds (infinite ones included) add nothing: avoids inf - inf.
    if (k >= 2 && upper !== thresholds[k - 2]) sum += (k - 1) * (upper - thresholds[k - 2]!);
    gapSums[k] = sum;
  }
  for (let k = size + 1; k <= size + THRESHOLD_PADDING; k++) below[k] = Number.POSITIVE_INFINITY;
  return size;
}

/**
 * The unnormalised loss S_n (double) of the row {@link prepareRow} just read, and
 * `scratch.counts[d]` for every class (0 at the row's target classes).
 */
export function rowSum(context: RowContext, offset: number, targetCount: number, size: number): number {
  const { input, classes, scratch } = context;
  // These hot loops read a float64 copy of the row: one monomorphic array type whatever the
  // input's dtype (a loop that has seen both types runs about half as fast).
  scratch.row.set(input.subarray(offset, offset + classes));
  const counts = scratch.counts;
  if (size === 0) {
    counts.fill(0, 0, classes);
    return 0;
  }
  let strategy = SEARCHED;
  if (size <= 4) strategy = UNROLLED_4;
  else if (size <= 6) strategy = UNROLLED_6;
  else if (size <= UNROLLED_MAX) strategy = UNROLLED_8;
  else if (buildBucketTable(scratch, size, classes)) strategy = BUCKETED;
  const { row, targetClasses, thresholds, below, gapSums, bucketStart } = scratch;
  const { bucketLowest, bucketScale, bucketTop, bucketFloor, bucketCeiling } = scratch;
  // The hot loops take their arrays as arguments: loading them from objects inside the callee
  // measured half again as slow.
  let sum = 0;
  let from = 0;
  for (let j = 0; j <= targetCount; j++) {
    const to = j < targetCount ? targetClasses[j]! : classes;
    if (to > from) {
      if (strategy === UNROLLED_4)
        sum += sumUnrolled4(row, from, to, size, thresholds, below, gapSums, counts);
      else if (strategy === UNROLLED_6)
        sum += sumUnrolled6(row, from, to, size, thresholds, below, gapSums, counts);
      else if (strategy === UNROLLED_8)
        sum += sumUnrolled8(row, from, to, size, thresholds, below, gapSums, counts);
      else if (strategy === BUCKETED)
        sum += sumBucketed(
          row,
          from,
          to,
          size,
          thresholds,
          below,
          gapSums,
          counts,
          bucketStart,
          bucketLowest,
          bucketScale,
          bucketTop,
          bucketFloor,
          bucketCeiling,
        );
      else sum += sumSearched(row, from, to, size, thresholds, below, gapSums, counts);
    }
    if (to + 1 > from) from = to + 1;
  }
  for (let j = 0; j < targetCount; j++) counts[targetClasses[j]!] = 0;
  return sum;
}

const UNROLLED_4 = 0;
const UNROLLED_6 = 1;
const UNROLLED_8 = 2;
const BUCKETED = 3;
const SEARCHED = 4;

/** Up to 4 thresholds (padded with +inf): k is the sum of the comparisons. */
function sumUnrolled4(
  row: Float64Array,
  from: number,
  to: number,
  size: number,
  thresholds: Float64Array,
  below: Float64Array,
  gapSums: Float64Array,
  counts: Int32Array,
): number {
  const t0 = thresholds[0]!;
  const t1 = thresholds[1]!;
  const t2 = thresholds[2]!;
  const t3 = thresholds[3]!;
  let sum = 0;
  for (let d = from; d < to; d++) {
    const value = row[d]!;
    if (value < Number.POSITIVE_INFINITY && value > Number.NEGATIVE_INFINITY) {
      const count = +(t0 < value) + +(t1 < value) + (+(t2 < value) + +(t3 < value));
      counts[d] = count;
      sum += count * (value - below[count]!) + gapSums[count]!;
    } else {
      sum += checkedTerm(thresholds, below, gapSums, counts, size, d, value);
    }
  }
  return sum;
}

/** Up to 6 thresholds (padded with +inf): k is the sum of the comparisons. */
function sumUnrolled6(
  row: Float64Array,
  from: number,
  to: number,
  size: number,
  thresholds: Float64Array,
  below: Float64Array,
  gapSums: Float64Array,
  counts: Int32Array,
): number {
  const t0 = thresholds[0]!;
  const t1 = thresholds[1]!;
  const t2 = thresholds[2]!;
  const t3 = thresholds[3]!;
  const t4 = thresholds[4]!;
  const t5 = thresholds[5]!;
  let sum = 0;
  for (let d = from; d < to; d++) {
    const value = row[d]!;
    if (value < Number.POSITIVE_INFINITY && value > Number.NEGATIVE_INFINITY) {
      const count =
        +(t0 < value) + (+(t1 < value) + +(t2 < value)) + (+(t3 < value) + (+(t4 < value) + +(t5 < value)));
      counts[d] = count;
      sum += count * (value - below[count]!) + gapSums[count]!;
    } else {
      sum += checkedTerm(thresholds, below, gapSums, counts, size, d, value);
    }
  }
  return sum;
}

/** Up to 8 thresholds (padded with +inf): k is the sum of the comparisons. */
function sumUnrolled8(
  row: Float64Array,
  from: number,
  to: number,
  size: number,
  thresholds: Float64Array,
  below: Float64Array,
  gapSums: Float64Array,
  counts: Int32Array,
): number {
  const t0 = thresholds[0]!;
  const t1 = thresholds[1]!;
  const t2 = thresholds[2]!;
  const t3 = thresholds[3]!;
  const t4 = thresholds[4]!;
  const t5 = thresholds[5]!;
  const t6 = thresholds[6]!;
  const t7 = thresholds[7]!;
  let sum = 0;
  for (let d = from; d < to; d++) {
    const value = row[d]!;
    if (value < Number.POSITIVE_INFINITY && value > Number.NEGATIVE_INFINITY) {
      const count =
        +(t0 < value) +
        +(t1 < value) +
        (+(t2 < value) + +(t3 < value)) +
        (+(t4 < value) + +(t5 < value) + (+(t6 < value) + +(t7 < value)));
      counts[d] = count;
      sum += count * (value - below[count]!) + gapSums[count]!;
    } else {
      sum += checkedTerm(thresholds, below, gapSums, counts, size, d, value);
    }
  }
  return sum;
}

/**
 * Builds the bucket table of a row into the scratch, with buckets fine enough that none holds
 * more than {@link MAX_PER_BUCKET} thresholds; returns false (leaving nothing usable) when the
 * thresholds are infinite, all equal, or too clustered for the finest table allowed.
 */
export function buildBucketTable(scratch: RowScratch, size: number, classes: number): boolean {
  const thresholds = scratch.thresholds;
  const lowest = thresholds[0]!;
  const highest = thresholds[size - 1]!;
  const widest = MAX_BUCKETS_PER_CLASS * classes;
  for (let perThreshold = BUCKETS_PER_THRESHOLD; ; perThreshold *= 4) {
    const buckets = Math.min(perThreshold * size, widest);
    const scale = buckets / (highest - lowest);
    if (!(scale > 0 && scale < Number.POSITIVE_INFINITY)) return false;
    // Bucket of v: trunc((v - lowest) * scale) + 1, clamped to [0, top]; thresholds fall in [1, buckets + 1].
    const top = buckets + 2;
    const start = scratch.bucketStart;
    start.fill(0, 0, top + 1);
    // First start[b + 1] counts bucket b's thresholds, then the prefix sum makes start[b] the
    // number of thresholds in buckets before b.
    for (let k = 0; k < size; k++) start[(((thresholds[k]! - lowest) * scale) | 0) + 2]! += 1;
    let fullest = 0;
    for (let b = 1; b <= top; b++) {
      const inBucket = start[b]!;
      if (inBucket > fullest) fullest = inBucket;
      start[b] = start[b - 1]! + inBucket;
    }
    if (fullest <= MAX_PER_BUCKET) {
      // Within this margin of the range, (v - lowest) * scale stays far inside int32.
      const margin = 2 ** 29 / scale;
      scratch.bucketLowest = lowest;
      scratch.bucketScale = scale;
      scratch.bucketTop = top;
      scratch.bucketFloor = lowest - margin;
      scratch.bucketCeiling = highest + margin;
      return true;
    }
    if (buckets === widest || perThreshold >= MAX_BUCKETS_PER_THRESHOLD) return false;
  }
}

/** More than 8 thresholds: bucket lookup, then two comparisons. */
function sumBucketed(
  row: Float64Array,
  from: number,
  to: number,
  size: number,
  thresholds: Float64Array,
  below: Float64Array,
  gapSums: Float64Array,
  counts: Int32Array,
  bucketStart: Int32Array,
  lowest: number,
  scale: number,
  top: number,
  floor: number,
  ceiling: number,
): number {
  let sum = 0;
  for (let d = from; d < to; d++) {
    const value = row[d]!;
    if (value > floor && value < ceiling) {
      let bucket = (((value - lowest) * scale) | 0) + 1;
      bucket &= ~(bucket >> 31);
      const excess = bucket - top;
      bucket = top + (excess & (excess >> 31));
      // A bucket holds at most two thresholds, and the two after `before` (thresholds[before] is
      // below[before + 1]) are in this bucket or above every value in it: two independent
      // comparisons finish the count.
      const before = bucketStart[bucket]!;
      const count = before + +(below[before + 1]! < value) + +(below[before + 2]! < value);
      counts[d] = count;
      sum += count * (value - below[count]!) + gapSums[count]!;
    } else {
      sum += checkedTerm(thresholds, below, gapSums, counts, size, d, value);
    }
  }
  return sum;
}

/** Any thresholds (infinite, tied, clustered): binary search per value. */
function sumSearched(
  row: Float64Array,
  from: number,
  to: number,
  size: number,
  thresholds: Float64Array,
  below: Float64Array,
  gapSums: Float64Array,
  counts: Int32Array,
): number {
  let sum = 0;
  for (let d = from; d < to; d++) sum += checkedTerm(thresholds, below, gapSums, counts, size, d, row[d]!);
  return sum;
}

/** The count and term of one value, for any value: NaN passes nothing, +inf every finite threshold. */
export function checkedTerm(
  thresholds: Float64Array,
  below: Float64Array,
  gapSums: Float64Array,
  counts: Int32Array,
  size: number,
  d: number,
  value: number,
): number {
  const count = countBelow(thresholds, size, value);
  counts[d] = count;
  if (count === 0) return 0;
  return count * (value - below[count]!) + gapSums[count]!;
}

/**
 * Writes the row's gradient `count * g * scale` (the reference's order of operations) into
 * `gradient[offset..offset + classes)`, from `scratch.counts`: +1 per counted pair at the
 * non-target, -1 per counted pair at each target occurrence's class.
 */
export function rowGradient(
  context: RowContext,
  offset: number,
  targetCount: number,
  size: number,
  gradient: Float32Array | Float64Array,
  g: number,
  scale: number,
): void {
  const { target, classes, scratch } = context;
  const { counts, above, targetCounts, thresholds, occurrenceThresholds, gradientRow } = scratch;
  above.fill(0, 0, size + 1);
  for (let d = 0; d < classes; d++) {
    const count = counts[d]!;
    above[count]! += 1;
    gradientRow[d] = count * g * scale;
  }
  // In place, the histogram becomes above[r] = #(count >= r); sorted threshold r is passed by above[r + 1].
  let passing = 0;
  for (let r = size; r >= 1; r--) {
    passing += above[r]!;
    above[r] = passing;
  }
  for (let j = 0; j < targetCount; j++) targetCounts[target[offset + j]!] = 0;
  for (let j = 0; j < targetCount; j++) {
    const threshold = occurrenceThresholds[j]!;
    if (Number.isNaN(threshold)) continue;
    const passedBy = above[countBelow(thresholds, size, threshold) + 1]!;
    targetCounts[target[offset + j]!]! -= passedBy;
  }
  for (let j = 0; j < targetCount; j++) {
    const y = target[offset + j]!;
    gradientRow[y] = targetCounts[y]! * g * scale;
  }
  // One conversion to the output's dtype (rounding to nearest, like the reference's stores).
  gradient.set(gradientRow.subarray(0, classes), offset);
}
