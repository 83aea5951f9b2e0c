import { buildBucketTable, type RowContext } from './rowKernel.js';
import { countBelow } from './sortAscending.js';

/*
 * The forward-only twin of `rowSum` (see rowKernel.ts for the method): the same counts and the
 * same terms (the bucketed loop in an equivalent form), but nothing is stored per class (only the gradient needs the counts), and the loops
 * read the input itself instead of a float64 copy of the row. Converting every value once more
 * and storing every count cost about as much as the counting itself.
 */

/**
 * The unnormalised loss S_n (double) of the row {@link prepareRow} just read at `offset`, skipping
 * the row's target classes.
 */
export function rowLoss(context: RowContext, offset: number, targetCount: number, size: number): number {
  if (size === 0) return 0;
  const { input, classes, scratch } = context;
  let strategy = SEARCHED;
  if (size <= 4) strategy = UNROLLED_4;
  else if (size <= 6) strategy = UNROLLED_6;
  else if (size <= 8) strategy = UNROLLED_8;
  else if (buildBucketTable(scratch, size, classes)) strategy = BUCKETED;
  const { targetClasses, thresholds, below, gapSums, bucketStart, steps } = scratch;
  const { bucketLowest, bucketScale, bucketTop, bucketFloor, bucketCeiling } = scratch;
  if (strategy === BUCKETED) {
    // steps[k]: the sum over i < k of (thresholds[i] - lowest), all parts non-negative.
    let shifted = 0;
    steps[0] = 0;
    for (let k = 1; k <= size; k++) {
      shifted += thresholds[k - 1]! - bucketLowest;
      steps[k] = shifted;
    }
  }
  if (strategy <= UNROLLED_8) {
    // One interleaved table (below[k], gapSums[k]) instead of two: V8 checks every typed array a
    // loop reads (map, bounds, base pointer) on each access, so one array fewer is a tenth fewer
    // instructions per value.
    for (let k = 0; k <= size; k++) {
      steps[2 * k] = below[k]!;
      steps[2 * k + 1] = gapSums[k]!;
    }
  }
  let sum = 0;
  let from = offset;
  const end = offset + classes;
  for (let j = 0; j <= targetCount; j++) {
    const to = j < targetCount ? offset + targetClasses[j]! : end;
    if (to > from) {
      if (strategy === UNROLLED_4) sum += lossUnrolled4(input, from, to, thresholds, steps);
      else if (strategy === UNROLLED_6) sum += lossUnrolled6(input, from, to, thresholds, steps);
      else if (strategy === UNROLLED_8) sum += lossUnrolled8(input, from, to, thresholds, steps);
      else if (strategy === BUCKETED)
        sum += lossBucketed(
          input,
          from,
          to,
          size,
          thresholds,
          below,
          gapSums,
          bucketStart,
          steps,
          bucketLowest,
          bucketScale,
          bucketTop,
          bucketFloor,
          bucketCeiling,
        );
      else for (let d = from; d < to; d++) sum += checkedLoss(thresholds, below, gapSums, size, input[d]!);
    }
    if (to + 1 > from) from = to + 1;
  }
  // The unrolled loops do not test for NaN and infinities (about a quarter of their time): such a value
  // or threshold makes the sum NaN or infinite, and then the row is summed again, value by value.
  if (strategy <= UNROLLED_8 && !Number.isFinite(sum))
    return checkedRowLoss(context, offset, targetCount, size);
  return sum;
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

const UNROLLED_4 = 0;
const UNROLLED_6 = 1;
const UNROLLED_8 = 2;
const BUCKETED = 3;
const SEARCHED = 4;

/** Up to 4 thresholds (padded with +inf): k is the sum of the comparisons (finite values only, see rowLoss). */
function lossUnrolled4(
  row: Float32Array | Float64Array,
  from: number,
  to: number,
  thresholds: Float64Array,
  steps: Float64Array,
): number {
  const t0 = thresholds[0]!;
  const t1 = thresholds[1]!;
  const t2 = thresholds[2]!;
  const t3 = thresholds[3]!;
  let sum = 0;
  for (let d = from; d < to; d++) {
    const value = row[d]!;
    const count = +(t0 < value) + +(t1 < value) + (+(t2 < value) + +(t3 < value));
    const step = count << 1;
    sum += count * (value - steps[step]!) + steps[step + 1]!;
  }
  return sum;
}

/** Up to 6 thresholds, as {@link lossUnrolled4}. */
function lossUnrolled6(
  row: Float32Array | Float64Array,
  from: number,
  to: number,
  thresholds: Float64Array,
  steps: Float64Array,
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
    const count =
      +(t0 < value) + (+(t1 < value) + +(t2 < value)) + (+(t3 < value) + (+(t4 < value) + +(t5 < value)));
    const step = count << 1;
    sum += count * (value - steps[step]!) + steps[step + 1]!;
  }
  return sum;
}

/** Up to 8 thresholds, as {@link lossUnrolled4}. */
function lossUnrolled8(
  row: Float32Array | Float64Array,
  from: number,
  to: number,
  thresholds: Float64Array,
  steps: Float64Array,
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
    const count =
      +(t0 < value) +
      +(t1 < value) +
      (+(t2 < value) + +(t3 < value)) +
      (+(t4 < value) + +(t5 < value) + (+(t6 < value) + +(t7 < value)));
    const step = count << 1;
    sum += count * (value - steps[step]!) + steps[step + 1]!;
  }
  return sum;
}

/**
 * More than 8 thresholds: bucket lookup, then two comparisons (see `sumBucketed`). With L the lowest
 * threshold and `shifted[k]` the sum over i < k of (t[i] - L), the term of a value passing k
 * thresholds is k * (v - L) - shifted[k]: one table read per value instead of two. Both parts are
 * non-negative and the term is at least v - L, so the subtraction loses at most a factor k of
 * relative accuracy (a few ulps of double, far inside the float32 tolerance).
 */
function lossBucketed(
  row: Float32Array | Float64Array,
  from: number,
  to: number,
  size: number,
  thresholds: Float64Array,
  below: Float64Array,
  gapSums: Float64Array,
  bucketStart: Int32Array,
  shifted: Float64Array,
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
      const before = bucketStart[bucket]!;
      const count = before + +(below[before + 1]! < value) + +(below[before + 2]! < value);
      sum += count * (value - lowest) - shifted[count]!;
    } else {
      sum += checkedLoss(thresholds, below, gapSums, size, value);
    }
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
