import type { RowScratch } from './RowScratch.js';
import { countBelow } from './sortAscending.js';

/*
 * The forward loop's table for rows of more than 8 thresholds: one Float64Array holding a small
 * header and then one record per bucket, so the hot loop reads a single typed array (V8 checks
 * every typed array a loop touches, on every access) and needs no dependent second lookup.
 *
 * Buckets have equal width 1 / scale from the lowest threshold L up; a value v falls in bucket
 * b = trunc((v - L) * scale). The same (monotone) rounding places every threshold, so thresholds
 * of earlier buckets are strictly below every value of bucket b and thresholds of later buckets at
 * or above it. Record b:
 *   [2 base, 2 shifted, slot, weight]
 * with base = the number of thresholds in earlier buckets, shifted = the sum of (t - L) over them,
 * and, when the bucket holds one DISTINCT threshold value, that value in the slot and its number
 * of occurrences as the weight (tied thresholds, as in tie-heavy data, cost nothing extra). The
 * term of v is then, halved once per row,
 *   2 base * (v - L) - 2 shifted + weight * (a + |a|),   a = v - slot,
 * where a + |a| is exactly 2a when a > 0 and exactly 0 otherwise (PyTorch's strict margin test,
 * see rowKernel.ts). The first part is the sum of (v - t) over the earlier thresholds written with
 * one multiplication: both parts are non-negative and it is at least v - t for the lowest of them,
 * so the subtraction loses at most a factor 2 base of relative accuracy (a few units of 2^-53).
 * Rows without ties take a loop that skips the weight (all 1).
 *
 * A bucket holding two or more distinct values (under 1 in 100 with 8 buckets per distinct value,
 * for spread-out thresholds) marks itself by storing -1 - 2 base: values there take a binary
 * search instead (a rarely taken branch). Records continue past the highest threshold (all
 * passed) for a span (half a span in large tables, which must stay in cache), and values from
 * half a bucket below L fall in bucket 0 (truncation rounds towards 0), so values in that range
 * need no clamping; values beyond it and non-finite ones take the binary search too.
 */

/** Header entries before the first record: lowest, scale, top, floor, ceiling, then unused. */
const TABLE_HEADER = 8;

/** Doubles per record: 2 base, 2 shifted, slot, weight. */
const TABLE_STRIDE = 4;

/** Buckets per distinct threshold value. */
const BUCKETS_PER_DISTINCT = 8;

/** Thresholds and values beyond this magnitude take the searched path (v - L stays finite). */
const RANGE_LIMIT = 1e300;

/** Tables of more buckets than this extend only half a span above the highest threshold. */
const LARGE_TABLE = 4096;
/** Tables of at most this many buckets cover eight spans above their highest threshold. */
const SMALL_TABLE = 64;

/** Pads empty slots: no finite value in the table's range passes it (and v - it stays finite). */
const EMPTY_SLOT = Number.MAX_VALUE;

/**
 * Builds the forward table of the row {@link prepareRow} prepared (`size` > 0 sorted thresholds in
 * `scratch.thresholds`, with `below` and `gapSums`) into `scratch.forwardTable`. Returns false,
 * leaving nothing usable, when a threshold is infinite or beyond 1e300 in magnitude.
 */
export function buildForwardTable(scratch: RowScratch, size: number, classes: number): boolean {
  const thresholds = scratch.thresholds;
  const lowest = thresholds[0]!;
  const highest = thresholds[size - 1]!;
  if (!(lowest >= -RANGE_LIMIT && highest <= RANGE_LIMIT)) return false;
  let distinct = 1;
  for (let k = 1; k < size; k++) if (thresholds[k] !== thresholds[k - 1]) distinct++;
  // One distinct value: every finite value falls in bucket 1 (scale 0). Filling a bucket costs
  // about what the loop spends on a value, hence at most 2C buckets.
  const buckets = distinct === 1 ? 0 : Math.min(BUCKETS_PER_DISTINCT * distinct, 2 * classes);
  const scale = distinct === 1 ? 0 : buckets / (highest - lowest);
  if (!(scale < Number.POSITIVE_INFINITY)) return false;
  // Buckets above the highest threshold (all passed) for values up to a span above it (half a
  // span in large tables, which must stay in cache), so that they need no clamping; values beyond
  // take the search.
  // Small tables (rows of few distinct thresholds) reach further: with two thresholds half a span
  // apart, values commonly sit a span or two above (two-valued rows), which the search would answer.
  const above = buckets <= SMALL_TABLE ? 8 * buckets : buckets <= LARGE_TABLE ? buckets : buckets >> 1;
  const top = buckets + above + 2;
  const length = TABLE_HEADER + TABLE_STRIDE * (top + 1);
  if (scratch.forwardTable.length < length) scratch.forwardTable = new Float64Array(2 * length);
  const table = scratch.forwardTable;
  // Within this margin of the range, (v - lowest) * scale stays far inside int32 (and v - lowest
  // finite).
  const margin = scale === 0 ? RANGE_LIMIT : Math.min((above + 1) / scale, RANGE_LIMIT);
  table[0] = lowest;
  table[1] = scale;
  table[2] = top;
  // Values from half a bucket below the lowest threshold up fall in bucket 0 or above (lower ones
  // pass nothing: the search answers them).
  table[3] = scale === 0 ? lowest - margin : lowest - 0.5 / scale;
  table[4] = highest + margin;
  table[5] = distinct === size ? 1 : 0;
  // Threshold by threshold: the empty buckets before a threshold's bucket in a tight loop (most
  // buckets are empty), then that bucket, then the buckets above the highest threshold.
  let k = 0;
  let shifted = 0;
  let b = 0;
  let r = TABLE_HEADER;
  while (k < size) {
    const bucket = bucketOf(thresholds[k]!, lowest, scale);
    const twiceBase = 2 * k;
    const twiceShifted = 2 * shifted;
    for (; b < bucket; b++, r += TABLE_STRIDE) fillRecord(table, r, twiceBase, twiceShifted);
    const first = k;
    do {
      shifted += thresholds[k]! - lowest;
      k++;
    } while (k < size && bucketOf(thresholds[k]!, lowest, scale) === bucket);
    fillRecord(table, r, twiceBase, twiceShifted);
    if (thresholds[k - 1] === thresholds[first]) {
      table[r + 2] = thresholds[first]!;
      table[r + 3] = k - first;
    } else {
      table[r] = -1 - twiceBase;
    }
    b++;
    r += TABLE_STRIDE;
  }
  for (; b <= top; b++, r += TABLE_STRIDE) fillRecord(table, r, 2 * size, 2 * shifted);
  return true;
}

/** Writes the record at `r` of a bucket without thresholds (a bucket with some then sets its own fields). */
function fillRecord(table: Float64Array, r: number, twiceBase: number, twiceShifted: number): void {
  table[r] = twiceBase;
  table[r + 1] = twiceShifted;
  table[r + 2] = EMPTY_SLOT;
  table[r + 3] = 0;
}

/** The bucket of a value within the table's range (thresholds: 0 .. top - 1). */
function bucketOf(value: number, lowest: number, scale: number): number {
  return ((value - lowest) * scale) | 0;
}

/**
 * The sum of the terms of values `row[from..to)` with the row's forward table (see above; target
 * classes are not skipped: the caller does that). `size` is the row's number of thresholds.
 */
export function lossTabled(
  row: Float32Array | Float64Array,
  from: number,
  to: number,
  scratch: RowScratch,
  size: number,
): number {
  const table = scratch.forwardTable;
  return table[5] === 1
    ? twiceLossDistinct(row, from, to, table, scratch, size) * 0.5
    : twiceLossWeighted(row, from, to, table, scratch, size) * 0.5;
}

/** {@link lossTabled} for rows without tied thresholds (every weight 1: no multiplication), doubled. */
function twiceLossDistinct(
  row: Float32Array | Float64Array,
  from: number,
  to: number,
  table: Float64Array,
  scratch: RowScratch,
  size: number,
): number {
  // The header; literal indices and stride keep the loop free of module loads.
  const lowest = table[0]!;
  const scale = table[1]!;
  const floor = table[3]!;
  const ceiling = table[4]!;
  const end = to | 0;
  // Everything doubled (records hold 2 base and 2 shifted; relu(a) is summed as a + |a|), halved
  // once at the end: exact, and one accumulator.
  let twiceSum = 0;
  let d = from | 0;
  // Two values per iteration: V8 checks the arrays once per iteration rather than once per access.
  for (; ((d + 1) | 0) < end; d = (d + 2) | 0) {
    const v = row[d]!;
    const w = row[(d + 1) | 0]!;
    if (v > floor && v < ceiling && w > floor && w < ceiling) {
      const vFromLowest = v - lowest;
      const wFromLowest = w - lowest;
      // `| 0` on every index: int32 arithmetic without overflow checks; between floor and ceiling
      // the bucket is in [0, top].
      const r = ((((vFromLowest * scale) | 0) << 2) + 8) | 0;
      const q = ((((wFromLowest * scale) | 0) << 2) + 8) | 0;
      const vBase = table[r]!;
      const wBase = table[q]!;
      const a = v - table[(r + 2) | 0]!;
      const b = w - table[(q + 2) | 0]!;
      let vTerm = vBase * vFromLowest - table[(r + 1) | 0]! + (a + Math.abs(a));
      let wTerm = wBase * wFromLowest - table[(q + 1) | 0]! + (b + Math.abs(b));
      // A bucket with two or more distinct thresholds (rare: a negative base marks it).
      if (vBase < 0) vTerm = 2 * searchedTerm(v, scratch, size);
      if (wBase < 0) wTerm = 2 * searchedTerm(w, scratch, size);
      twiceSum += vTerm + wTerm;
    } else {
      twiceSum += 2 * (tabledTerm(v, scratch, size) + tabledTerm(w, scratch, size));
    }
  }
  if (d < end) twiceSum += 2 * tabledTerm(row[d]!, scratch, size);
  return twiceSum;
}

/** {@link twiceLossDistinct} for rows with tied thresholds: each slot's relu times its weight. */
function twiceLossWeighted(
  row: Float32Array | Float64Array,
  from: number,
  to: number,
  table: Float64Array,
  scratch: RowScratch,
  size: number,
): number {
  const lowest = table[0]!;
  const scale = table[1]!;
  const floor = table[3]!;
  const ceiling = table[4]!;
  const end = to | 0;
  let twiceSum = 0;
  let d = from | 0;
  for (; ((d + 1) | 0) < end; d = (d + 2) | 0) {
    const v = row[d]!;
    const w = row[(d + 1) | 0]!;
    if (v > floor && v < ceiling && w > floor && w < ceiling) {
      const vFromLowest = v - lowest;
      const wFromLowest = w - lowest;
      const r = ((((vFromLowest * scale) | 0) << 2) + 8) | 0;
      const q = ((((wFromLowest * scale) | 0) << 2) + 8) | 0;
      const vBase = table[r]!;
      const wBase = table[q]!;
      const a = v - table[(r + 2) | 0]!;
      const b = w - table[(q + 2) | 0]!;
      let vTerm = vBase * vFromLowest - table[(r + 1) | 0]! + table[(r + 3) | 0]! * (a + Math.abs(a));
      let wTerm = wBase * wFromLowest - table[(q + 1) | 0]! + table[(q + 3) | 0]! * (b + Math.abs(b));
      if (vBase < 0) vTerm = 2 * searchedTerm(v, scratch, size);
      if (wBase < 0) wTerm = 2 * searchedTerm(w, scratch, size);
      twiceSum += vTerm + wTerm;
    } else {
      twiceSum += 2 * (tabledTerm(v, scratch, size) + tabledTerm(w, scratch, size));
    }
  }
  if (d < end) twiceSum += 2 * tabledTerm(row[d]!, scratch, size);
  return twiceSum;
}

/** The term of one value of any kind with the row's forward table: the loop's arithmetic, or a search. */
export function tabledTerm(value: number, scratch: RowScratch, size: number): number {
  const table = scratch.forwardTable;
  if (!(value > table[3]! && value < table[4]!)) return searchedTerm(value, scratch, size);
  const fromLowest = value - table[0]!;
  const bucket = Math.min((fromLowest * table[1]!) | 0, table[2]!);
  const r = TABLE_HEADER + TABLE_STRIDE * bucket;
  const twiceBase = table[r]!;
  if (twiceBase < 0) return searchedTerm(value, scratch, size);
  const a = value - table[r + 2]!;
  return 0.5 * (twiceBase * fromLowest - table[r + 1]! + table[r + 3]! * (a + Math.abs(a)));
}

/** The term of one value from the sorted thresholds: NaN passes nothing, +inf every threshold. */
function searchedTerm(value: number, scratch: RowScratch, size: number): number {
  const count = countBelow(scratch.thresholds, size, value);
  if (count === 0) return 0;
  return count * (value - scratch.below[count]!) + scratch.gapSums[count]!;
}
