import type { RowScratch } from './RowScratch.js';

/*
 * The forward loop's bucket table for rows of more than 8 thresholds: one Float64Array holding a
 * small header and then one record per bucket, so the hot loop reads a single typed array (V8
 * checks every typed array a loop touches, on every access) and needs no dependent second lookup.
 *
 * Buckets have equal width 1 / scale from the lowest threshold L up; a value v > L falls in bucket
 * b = trunc((v - L) * scale) (plus a fixed offset, below). The same (monotone) rounding places
 * every threshold, so thresholds of
 * earlier buckets are strictly below every value of bucket b and thresholds of later buckets are at
 * or above it; only the bucket's own thresholds (at most FORWARD_SLOTS) need comparing. Record b:
 *   [base, shifted, slot_1, slot_2]
 * with base = the number of thresholds in earlier buckets, shifted = the sum of (t - L) over them,
 * and the bucket's own thresholds in the slots (padded with the largest finite double, which no
 * value of the table passes). The term of v is then
 *   base * (v - L) - shifted + relu(v - slot_1) + relu(v - slot_2),
 * where each relu, computed as (a + |a|) / 2, is exactly zero unless v > slot (PyTorch's margin
 * test, see rowKernel.ts). The first part is the sum of (v - t) over the earlier thresholds written
 * with one multiplication: both parts are non-negative and it is at least v - t for the highest of
 * them, so the subtraction loses at most a factor base of relative accuracy (a few units of 2^-53).
 * A bucket with two thresholds is rare (a few per row), so its record marks itself by storing
 * -1 - base instead of base: the loop reads only the first slot and leaves marked buckets to the
 * full per-value term (a rarely taken branch instead of a second slot's load and arithmetic).
 * The records extend half a threshold span below the lowest threshold (none passed) and above
 * the highest (all passed), so that values near the range need no clamping; values beyond the
 * table and non-finite ones take a branch in the loop. The bucket of v is then
 * trunc((v - L) * scale + below), the same formula placing the thresholds.
 */

/** Header entries before the first record (lossTabled has it as a literal). */
const TABLE_HEADER = 8;

/** Doubles per record: base, shifted, then the slots (lossTabled has it as a literal). */
const TABLE_STRIDE = 4;

/** Thresholds one bucket may hold (the loop compares a value with this many). */
const FORWARD_SLOTS = 2;

/** Buckets per threshold to start with... */
const FIRST_BUCKETS_PER_THRESHOLD = 8;

/** ...doubled while some bucket holds too many, up to this many. */
const MAX_BUCKETS_PER_THRESHOLD = 64;

/** Pads empty slots: no finite value in the table's range passes it (and v - it stays finite). */
const EMPTY_SLOT = Number.MAX_VALUE;

/**
 * Builds the forward table of the row {@link prepareRow} prepared (`size` > 0 sorted finite or
 * infinite thresholds in `scratch.thresholds`, their `gapSums`) into `scratch.forwardTable`.
 * Returns false, leaving nothing usable, when the thresholds are not all finite, all equal, or too
 * clustered (more than two per bucket even at the finest table allowed for a row of `classes`).
 */
export function buildForwardTable(scratch: RowScratch, size: number, classes: number): boolean {
  const thresholds = scratch.thresholds;
  const lowest = thresholds[0]!;
  const highest = thresholds[size - 1]!;
  const span = highest - lowest;
  if (!(span > 0 && span < Number.POSITIVE_INFINITY)) return false;
  // Filling costs about as much per record as the loop per class: at most 4C + 2 records per row.
  const widest = 2 * classes;
  for (let perThreshold = FIRST_BUCKETS_PER_THRESHOLD; ; perThreshold *= 2) {
    const buckets = Math.min(perThreshold * size, widest);
    const scale = buckets / span;
    if (!(scale < Number.POSITIVE_INFINITY)) return false;
    // Half the range's buckets again below it (and above it, see fillTable), so that values near
    // the range need no branch.
    const below = buckets >> 1;
    if (fullestBucket(thresholds, size, lowest, scale, below) <= FORWARD_SLOTS) {
      fillTable(scratch, size, lowest, scale, buckets, below);
      return true;
    }
    if (buckets === widest || perThreshold >= MAX_BUCKETS_PER_THRESHOLD) return false;
  }
}

/** The largest number of sorted thresholds that share a bucket. */
function fullestBucket(
  thresholds: Float64Array,
  size: number,
  lowest: number,
  scale: number,
  below: number,
): number {
  let fullest = 0;
  let run = 0;
  let previous = -1;
  for (let k = 0; k < size; k++) {
    const bucket = bucketOf(thresholds[k]!, lowest, scale, below);
    run = bucket === previous ? run + 1 : 1;
    previous = bucket;
    if (run > fullest) fullest = run;
  }
  return fullest;
}

/** The bucket of `value`: the one formula the table, the loop and the thresholds' placement share. */
function bucketOf(value: number, lowest: number, scale: number, below: number): number {
  return ((value - lowest) * scale + below) | 0;
}

function fillTable(
  scratch: RowScratch,
  size: number,
  lowest: number,
  scale: number,
  buckets: number,
  below: number,
): void {
  const { thresholds, gapSums } = scratch;
  // `below` buckets under the range, half the range's buckets above it, and two more so that
  // rounding in the bucket of a value under the ceiling stays inside.
  const records = below + buckets + (buckets >> 1) + 2;
  const length = TABLE_HEADER + TABLE_STRIDE * records;
  if (scratch.forwardTable.length < length) scratch.forwardTable = new Float64Array(2 * length);
  const table = scratch.forwardTable;
  const highest = thresholds[size - 1]!;
  // Header: lowest, scale, ceiling (values from here up are beyond the table: two buckets short of
  // the end, so rounding cannot carry a value below it past the last record), the number of
  // thresholds, the highest, gapSums[size], the floor (values at or below it are beyond the table:
  // one bucket short of its start) and the number of buckets below the lowest threshold.
  table[0] = lowest;
  table[1] = scale;
  table[2] = lowest + (records - below - 2) / scale;
  table[3] = size;
  table[4] = highest;
  table[5] = gapSums[size]!;
  table[6] = lowest - (below - 1) / scale;
  table[7] = below;
  let k = 0;
  let shifted = 0;
  let next = bucketOf(thresholds[0]!, lowest, scale, below);
  for (let b = 0, r = TABLE_HEADER; b < records; b++, r += TABLE_STRIDE) {
    table[r] = 2 * k;
    table[r + 1] = 2 * shifted;
    table[r + 2] = EMPTY_SLOT;
    table[r + 3] = EMPTY_SLOT;
    for (let slot = 2; k < size && next === b; slot++) {
      const threshold = thresholds[k]!;
      table[r + slot] = threshold;
      // A second threshold: -1 - 2 base tells the loop to take the full term.
      if (slot === 3) table[r] = -1 - table[r]!;
      shifted += threshold - lowest;
      k++;
      next = k < size ? bucketOf(thresholds[k]!, lowest, scale, below) : -1;
    }
  }
}

/**
 * More than 8 thresholds, with the row's forward table (see forwardTable.ts): the sum of the terms
 * of values `row[from..to)`. Everything the loop needs comes from the one table; the relu parts
 * of the slots are summed apart and halved once.
 */
export function lossTabled(
  row: Float32Array | Float64Array,
  from: number,
  to: number,
  table: Float64Array,
): number {
  // The header (see fillTable); literal indices and stride keep the loop free of module loads.
  const lowest = table[0]!;
  const scale = table[1]!;
  const ceiling = table[2]!;
  const floor = table[6]!;
  const below = table[7]!;
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
      // `| 0` on every index: int32 arithmetic without overflow checks.
      const r = ((((vFromLowest * scale + below) | 0) << 2) + 8) | 0;
      const q = ((((wFromLowest * scale + below) | 0) << 2) + 8) | 0;
      const vBase = table[r]!;
      const wBase = table[q]!;
      const a = v - table[(r + 2) | 0]!;
      const b = w - table[(q + 2) | 0]!;
      let vTerm = vBase * vFromLowest - table[(r + 1) | 0]! + (a + Math.abs(a));
      let wTerm = wBase * wFromLowest - table[(q + 1) | 0]! + (b + Math.abs(b));
      // A bucket with two thresholds (rare: a negative base marks it) takes the full term.
      if (vBase < 0) vTerm = 2 * tabledTerm(v, table);
      if (wBase < 0) wTerm = 2 * tabledTerm(w, table);
      twiceSum += vTerm + wTerm;
    } else {
      twiceSum += 2 * (tabledTerm(v, table) + tabledTerm(w, table));
    }
  }
  if (d < end) twiceSum += 2 * tabledTerm(row[d]!, table);
  return 0.5 * twiceSum;
}

/** The term of one value of any kind, with the row's forward table. */
export function tabledTerm(value: number, table: Float64Array): number {
  const lowest = table[0]!;
  // NaN and values at or below the lowest threshold pass none.
  if (!(value > lowest)) return 0;
  // Beyond the table, or +inf: every threshold passed.
  if (!(value < table[2]!)) return table[3]! * (value - table[4]!) + table[5]!;
  const fromLowest = value - lowest;
  const r = (((fromLowest * table[1]! + table[7]!) | 0) << 2) + 8;
  const marked = table[r]!;
  const twiceBase = marked < 0 ? -1 - marked : marked;
  const a1 = value - table[r + 2]!;
  const a2 = value - table[r + 3]!;
  return 0.5 * (twiceBase * fromLowest - table[r + 1]! + (a1 + Math.abs(a1) + (a2 + Math.abs(a2))));
}
