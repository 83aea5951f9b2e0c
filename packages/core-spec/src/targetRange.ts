import { LossError } from './LossError.js';

/**
 * The index of the first target outside [-1, classes - 1], or -1 when all are in range: the
 * check of validation, in JavaScript.
 */
export function findTargetOutOfRange(t: Int32Array, classes: number): number {
  const length = t.length;
  const last = classes - 1;
  if (last > 0x7ffffffe) return findInRange(t, 0, length, classes);
  // v is in [-1, last] iff neither v + 1 nor last - v is negative (as int32: an overflow wraps to a
  // negative value, and only out-of-range values overflow). OR-ing both over a block leaves the sign
  // bit clear iff the whole block is in range: one branch per block instead of one per value.
  for (let start = 0; start < length; start += SCAN_BLOCK) {
    const end = Math.min(length, start + SCAN_BLOCK);
    let low = 0;
    let high = 0;
    // Eight values per iteration into two independent pairs of accumulators.
    let lowToo = 0;
    let highToo = 0;
    let i = start;
    for (; i + 7 < end; i += 8) {
      const v0 = t[i]!;
      const v1 = t[i + 1]!;
      const v2 = t[i + 2]!;
      const v3 = t[i + 3]!;
      const v4 = t[i + 4]!;
      const v5 = t[i + 5]!;
      const v6 = t[i + 6]!;
      const v7 = t[i + 7]!;
      low |= (v0 + 1) | (v1 + 1) | (v2 + 1) | (v3 + 1);
      high |= (last - v0) | (last - v1) | (last - v2) | (last - v3);
      lowToo |= (v4 + 1) | (v5 + 1) | (v6 + 1) | (v7 + 1);
      highToo |= (last - v4) | (last - v5) | (last - v6) | (last - v7);
    }
    low |= lowToo;
    high |= highToo;
    for (; i < end; i++) {
      const v = t[i]!;
      low |= v + 1;
      high |= last - v;
    }
    if ((low | high) < 0) return findInRange(t, start, end, classes);
  }
  return -1;
}

/** Targets per block of {@link findTargetOutOfRange}. */
const SCAN_BLOCK = 4096;

/** The index of the first target of `t[start..end)` outside [-1, classes - 1], or -1. */
function findInRange(t: Int32Array, start: number, end: number, classes: number): number {
  for (let i = start; i < end; i++) {
    const v = t[i]!;
    if (v < -1 || v >= classes) return i;
  }
  return -1;
}

/**
 * The `TARGET_OUT_OF_RANGE` error for the target `t[index]` (the first one out of range), in the
 * one wording every backend uses. Kernels that check the range themselves
 * ({@link LossKernel.checksTargetRange}) reject with it.
 */
export function targetOutOfRangeError(t: Int32Array, index: number, classes: number): LossError {
  return new LossError(
    'TARGET_OUT_OF_RANGE',
    `argument #2 'target' is out of range: found ${t[index]} at index ${index}, expected values in [-1, ${classes - 1}]`,
  );
}
