/** Below this length an insertion sort beats the native typed-array sort (and allocates nothing). */
const INSERTION_SORT_MAX = 24;

/**
 * Sorts `values[0..length)` ascending in place. The values must not be NaN (callers drop them);
 * `-0` and `0` may land in either order, which the kernel does not mind (they compare equal).
 */
export function sortThresholds(values: Float64Array, length: number): void {
  if (length > INSERTION_SORT_MAX) {
    values.subarray(0, length).sort();
    return;
  }
  // The same insertion sort as sortClasses, kept apart so that each sees one array type (V8
  // compiles a function that has seen both to slower, polymorphic element accesses).
  for (let i = 1; i < length; i++) {
    const v = values[i]!;
    let k = i - 1;
    while (k >= 0 && values[k]! > v) {
      values[k + 1] = values[k]!;
      k--;
    }
    values[k + 1] = v;
  }
}

/** Sorts `values[0..length)` ascending in place. */
export function sortClasses(values: Int32Array, length: number): void {
  if (length > INSERTION_SORT_MAX) {
    values.subarray(0, length).sort();
    return;
  }
  for (let i = 1; i < length; i++) {
    const v = values[i]!;
    let k = i - 1;
    while (k >= 0 && values[k]! > v) {
      values[k + 1] = values[k]!;
      k--;
    }
    values[k + 1] = v;
  }
}

/** The number of `sorted[0..length)` strictly below `value` (0 when `value` is NaN). */
export function countBelow(sorted: Float64Array, length: number, value: number): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}
