/** Below this length an insertion sort beats the native typed-array sort (and allocates nothing). */
const INSERTION_SORT_MAX = 24;

/**
 * Sorts `values[0..length)` ascending in place. The values must not be NaN (callers drop them);
 * `-0` and `0` may land in either order, which the kernel does not mind (they compare equal).
 * Long runs of finite values take a counting sort by equal-width buckets (O(n) for spread-out
 * values, and for ties), with `spare` (at least `length`) and `ends` (at least `length + 2`) as
 * working memory.
 */
export function sortThresholds(
  values: Float64Array,
  length: number,
  spare: Float64Array,
  ends: Int32Array,
): void {
  if (length <= INSERTION_SORT_MAX) {
    insertionSort(values, 0, length);
    return;
  }
  let lowest = values[0]!;
  let highest = lowest;
  for (let k = 1; k < length; k++) {
    const value = values[k]!;
    if (value < lowest) lowest = value;
    if (value > highest) highest = value;
  }
  if (lowest === highest) return;
  const scale = length / (highest - lowest);
  if (!(scale > 0 && scale < Number.POSITIVE_INFINITY)) {
    values.subarray(0, length).sort();
    return;
  }
  for (let k = 0; k < length; k++) spare[k] = values[k]!;
  // ends[b + 1] counts bucket b; the prefix sums make ends[b] where bucket b begins, and placing
  // a value advances it, so that it ends where bucket b ends. Buckets are 0 .. length.
  ends.fill(0, 0, length + 2);
  for (let k = 0; k < length; k++) ends[(((spare[k]! - lowest) * scale) | 0) + 1]! += 1;
  for (let b = 1; b <= length + 1; b++) ends[b] = ends[b]! + ends[b - 1]!;
  for (let k = 0; k < length; k++) {
    const value = spare[k]!;
    const b = ((value - lowest) * scale) | 0;
    values[ends[b]!] = value;
    ends[b]! += 1;
  }
  let begin = 0;
  for (let b = 0; b <= length; b++) {
    const end = ends[b]!;
    if (end - begin > 1) sortRun(values, begin, end);
    begin = end;
  }
}

/** Sorts one bucket's run `values[begin..end)` (already ordered runs, e.g. ties, cost one pass). */
function sortRun(values: Float64Array, begin: number, end: number): void {
  let ordered = true;
  for (let k = begin + 1; k < end; k++) if (values[k - 1]! > values[k]!) ordered = false;
  if (ordered) return;
  if (end - begin > INSERTION_SORT_MAX) values.subarray(begin, end).sort();
  else insertionSort(values, begin, end);
}

/** Insertion sort of `values[begin..end)`. */
function insertionSort(values: Float64Array, begin: number, end: number): void {
  // The same insertion sort as sortClasses, kept apart so that each sees one array type (V8
  // compiles a function that has seen both to slower, polymorphic element accesses).
  for (let i = begin + 1; i < end; i++) {
    const v = values[i]!;
    let k = i - 1;
    while (k >= begin && values[k]! > v) {
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
