/*
 * Rows with few (target, class) pairs: PyTorch's own O(J·C) loop, which beats the sorted-threshold
 * method when J·C is small (no sorting, no tables, no per-row setup). It is the reference's loop
 * (core-spec reference.ts): terms `fl(1 - x[y_j]) + x[d]` in double, counted iff > 0, summed in
 * the same order, and per-class counts turned into `count * g * scale`, so its results are the
 * reference's to the bit.
 */

/** Rows with `J * C` up to this take the direct loop. */
export const DIRECT_PAIRS_MAX = 48;

/**
 * The unnormalised loss S_n of the row at `offset` (its `targetCount` targets before the first
 * -1), and, when `counts` is given, `counts[d]` (d < classes) the signed number of counted pairs
 * of class d. `marks` is all zeros on entry and on return.
 */
export function directRowSum(
  input: Float32Array | Float64Array,
  target: Int32Array,
  offset: number,
  classes: number,
  targetCount: number,
  float32: boolean,
  marks: Uint8Array,
  counts: Float64Array | null,
): number {
  for (let j = 0; j < targetCount; j++) marks[target[offset + j]!] = 1;
  if (counts !== null) counts.fill(0, 0, classes);
  let sum = 0;
  for (let j = 0; j < targetCount; j++) {
    const y = target[offset + j]!;
    const value = input[offset + y]!;
    const a = float32 ? Math.fround(1 - value) : 1 - value;
    let passed = 0;
    for (let d = 0; d < classes; d++) {
      if (marks[d] !== 0) continue;
      const term = a + input[offset + d]!;
      if (term > 0) {
        sum += term;
        if (counts !== null) counts[d]! += 1;
        passed++;
      }
    }
    if (counts !== null) counts[y]! -= passed;
  }
  for (let j = 0; j < targetCount; j++) marks[target[offset + j]!] = 0;
  return sum;
}
