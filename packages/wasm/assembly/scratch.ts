// Layout of the per-call scratch area, in bytes from its start, for rows of `c` classes.
// The host reserves scratchBytes(c) bytes; every part is 16-byte aligned.

import { bucketTableBytes } from './buckets';
import { slotTableBytes } from './slots';

@inline function align16(n: usize): usize {
  return (n + 15) & ~(<usize>15);
}

/** Thresholds t_j = -fl(1 - x[y_j]), 8 bytes each (f32 uses the first half). */
export function thOffset(c: usize): usize {
  return 0;
}
/** c_j, i32 each. */
export function cntOffset(c: usize): usize {
  return align16(thOffset(c) + 8 * c);
}
/** Order of thresholds by value, i32 each. */
export function ordOffset(c: usize): usize {
  return align16(cntOffset(c) + 4 * c);
}
/** Sorted thresholds padded with +inf to a power of two, 8 bytes each. */
export function sortedOffset(c: usize): usize {
  return align16(ordOffset(c) + 4 * c);
}
/** Histogram of k over the row, i32 each: four interleaved copies of c + 2 entries (or, forward
 * only in slots.ts, the prefix sums Q of the sorted thresholds, f64 each). */
export function histOffset(c: usize): usize {
  return align16(sortedOffset(c) + 8 * (2 * c + 2));
}
/** Bucket table: that of buckets.ts or, in its place, that of slots.ts. */
export function bucketOffset(c: usize): usize {
  return align16(histOffset(c) + 16 * (c + 2));
}
/** Per-class running sums for the target positions' gradient, f64 each. */
export function tsumOffset(c: usize): usize {
  return align16(bucketOffset(c) + max(bucketTableBytes(c), slotTableBytes(c)));
}
/** k of each element between SIMD threshold blocks, i32 each. */
export function kbufOffset(c: usize): usize {
  return align16(tsumOffset(c) + 8 * c);
}
/** One byte per class: 1 where the class is a target of the current row. */
export function markOffset(c: usize): usize {
  return align16(kbufOffset(c) + 4 * (c + 4));
}
/** Total scratch bytes for rows of `c` classes. */
export function scratchBytes(c: usize): usize {
  return align16(markOffset(c) + c + 16);
}
