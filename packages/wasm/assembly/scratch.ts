// Layout of the per-call scratch area, in bytes from its start, for rows of `c` classes.
// The host reserves scratchBytes(c) bytes; every part is 16-byte aligned. The layout is generic
// over the integer type N: the kernels use usize (the host has checked that the whole area fits
// the memory, so no offset wraps), and the host asks for the size in u64 (index.ts exports it as a double), so
// that no class count makes it wrap before it is checked.

import { bucketTableBytes } from './buckets';
import { slotAddressBytes, slotTableBytes } from './slots';

@inline function align16<N>(n: N): N {
  return (n + <N>15) & ~(<N>15);
}

/** Thresholds t_j = -fl(1 - x[y_j]), 8 bytes each (f32 uses the first half). */
export function thOffset<N>(c: N): N {
  return <N>0;
}
/** c_j, i32 each. */
export function cntOffset<N>(c: N): N {
  return align16<N>(thOffset<N>(c) + <N>8 * c);
}
/** Order of thresholds by value, i32 each. */
export function ordOffset<N>(c: N): N {
  return align16<N>(cntOffset<N>(c) + <N>4 * c);
}
/** Sorted thresholds padded with +inf to a power of two, 8 bytes each. */
export function sortedOffset<N>(c: N): N {
  return align16<N>(ordOffset<N>(c) + <N>4 * c);
}
/** Histogram of k over the row, i32 each: four interleaved copies of c + 2 entries. */
export function histOffset<N>(c: N): N {
  return align16<N>(sortedOffset<N>(c) + <N>8 * (<N>2 * c + <N>2));
}
/** For each distinct threshold value (and one past the last), the sum of the thresholds below it, f64 each. */
export function qsumOffset<N>(c: N): N {
  return align16<N>(histOffset<N>(c) + <N>16 * (c + <N>2));
}
/** Distinct threshold values in ascending order, f32 each. */
export function distinctOffset<N>(c: N): N {
  return align16<N>(qsumOffset<N>(c) + <N>8 * (c + <N>2));
}
/** For each distinct value (and one past the last), the count of thresholds below it, i32 each. */
export function cumOffset<N>(c: N): N {
  return align16<N>(distinctOffset<N>(c) + <N>4 * (c + <N>2));
}
/** Bucket table: that of buckets.ts or, in its place, that of slots.ts. */
export function bucketOffset<N>(c: N): N {
  return align16<N>(cumOffset<N>(c) + <N>4 * (c + <N>2));
}
/** Per-class running sums for the target positions' gradient, f64 each. */
export function tsumOffset<N>(c: N): N {
  const b = bucketTableBytes<N>(c);
  const s = slotTableBytes<N>(c);
  return align16<N>(bucketOffset<N>(c) + (b > s ? b : s));
}
/** k of each element between SIMD threshold blocks, i32 each (or the slotted pass's entry addresses). */
export function kbufOffset<N>(c: N): N {
  return align16<N>(tsumOffset<N>(c) + <N>8 * c);
}
/** One byte per class: 1 where the class is a target of the current row. */
export function markOffset<N>(c: N): N {
  const k = <N>4 * (c + <N>4);
  const a = slotAddressBytes<N>(c);
  return align16<N>(kbufOffset<N>(c) + (k > a ? k : a));
}
/** Total scratch bytes for rows of `c` classes. */
export function scratchBytes<N>(c: N): N {
  return align16<N>(markOffset<N>(c) + c + <N>16);
}
