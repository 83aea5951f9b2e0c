// The loss kernel: one row (sample) at a time, generic over the element type T (f32 or f64).
//
// With thresholds t_j = -a_j, a_j = fl(1 - x[y_j]), a non-target x[d] counts against target j
// iff x[d] > t_j: fl(a_j + x[d]) > 0 has the sign of the exact sum, so this is PyTorch's test in
// the input's precision, and NaN never counts. With k_d the number of thresholds below x[d] and
// c_j the number of non-targets above t_j, the row's hinge sum is
//   S = sum_d k_d x[d] + sum_j c_j a_j      (in f64; each product is exact for f32 input)
// the reference's terms a_j + x[d] (in double) summed in another order. For f64 input it is
// re-summed around a shift m (see below) so that offset data does not cancel digits away.
// The gradient is exact: (k_d or -sum of c_j at a target) * g * grad_output, rounded once.
// Rows whose sum is not finite, or huge enough that a term could overflow, are summed term by
// term as the reference does (exactRowSum).
// Target positions are excluded by lowering them, in the row's copy, below every threshold.
//
// f32 rows of at most 16 classes and 1 to 8 targets take narrow.ts's path (the same sums, with
// less set-up a row). Otherwise k and c come from one of three counting schemes:
// - small J (f32): SIMD compare-and-count, four lanes against splatted thresholds;
// - more targets (f32): a bucket table over the thresholds' range (buckets.ts), or where that
//   is too crowded, sorted thresholds in a table of buckets of up to three slots (slots.ts);
// - otherwise (f64, or where both tables fail): thresholds sorted once, k by branchless binary
//   search, c from a histogram of k.

import { bucketRow, bucketUsed } from './buckets';
import { clear16 } from './clear';
import { slotCount, slotUsed } from './slots';
import {
  bucketOffset,
  cntOffset,
  cumOffset,
  distinctOffset,
  qsumOffset,
  histOffset,
  kbufOffset,
  markOffset,
  ordOffset,
  sortedOffset,
  thOffset,
  tsumOffset,
} from './scratch';
import { convertHigh, gradientLanes, promoteHigh } from './lanes';
import { F32_SUM_GUARD, LOWEST_F32 } from './constants';
import { NARROW_MAX_CLASSES, NARROW_MAX_TARGETS, narrowDeclined, narrowForwardRows, narrowRow } from './narrow';

/** F32_SUM_GUARD for f64 terms. */
const F64_SUM_GUARD: f64 = 4.49423283715579e307; // 2^1022

/**
 * Loss (and, if `grad` != 0, gradient) of `n` rows of `c` classes.
 * x: n*c elements of T; t: n*c i32 targets; sums: n f64 row sums S_n (out);
 * grad: n*c elements of T (out) or 0; scales: n f64 grad_output per row; g: 1/C or 1/(N*C);
 * scratch: scratchBytes(c) bytes; simdMax: largest J counted by SIMD compare (f32 only).
 */
export function lossRows<T>(
  x: usize,
  t: usize,
  n: i32,
  c: i32,
  sums: usize,
  grad: usize,
  scales: usize,
  g: f64,
  scratch: usize,
  simdMax: i32,
): void {
  const cz = <usize>c;
  // Row-independent addresses, once per call (tiny rows would spend a good part of their time here).
  const th = scratch + thOffset<usize>(cz);
  const cnt = scratch + cntOffset<usize>(cz);
  const mark = scratch + markOffset<usize>(cz);
  const kbuf = scratch + kbufOffset<usize>(cz);
  const tsum = scratch + tsumOffset<usize>(cz);
  memory.fill(mark, 0, cz);
  // Rows of few classes first try the narrow path (narrow.ts), which leaves the rows it declines.
  const narrow = sizeof<T>() == 4 && c <= NARROW_MAX_CLASSES;
  const jmax = simdMax < NARROW_MAX_TARGETS ? simdMax : NARROW_MAX_TARGETS;
  // Forward rows of one or two targets take narrowForwardRows, which stops at any other row.
  const narrowForward = narrow && grad == 0 && jmax >= 2;
  const outside = <u32>0xffffffff << <u32>c;
  for (let r = narrowForward ? narrowForwardRows(x, t, 0, n, c, sums, outside) : 0; r < n; r++) {
    const rz = <usize>r;
    const row = x + rz * cz * sizeof<T>();
    const tgt = t + rz * cz * 4;
    const growPtr: usize = grad == 0 ? 0 : grad + rz * cz * sizeof<T>();
    const scale: f64 = grad == 0 ? 0 : load<f64>(scales + (rz << 3));
    let sum: f64 = 0;
    if (narrow) sum = narrowRow(row, tgt, c, growPtr, g, scale, th, cnt, jmax, outside);
    if (!narrow || narrowDeclined) {
      sum = rowLoss<T>(row, tgt, c, growPtr, g, scale, scratch, simdMax, th, cnt, mark, kbuf, tsum);
    }
    store<f64>(sums + (rz << 3), sum);
    if (narrowForward) r = narrowForwardRows(x, t, r + 1, n, c, sums, outside) - 1;
  }
}

function rowLoss<T>(
  row: usize,
  tgt: usize,
  c: i32,
  grow: usize,
  g: f64,
  scale: f64,
  scratch: usize,
  simdMax: i32,
  th: usize,
  cnt: usize,
  mark: usize,
  kbuf: usize,
  tsum: usize,
): f64 {
  const cz = <usize>c;
  const esz = sizeof<T>();

  let jn = 0;
  while (jn < c && load<i32>(tgt + (<usize>jn << 2)) >= 0) jn++;

  if (jn == 0) {
    if (grow != 0) {
      const zero = <T>((0.0 * g) * scale);
      for (let d: usize = 0; d < cz; d++) store<T>(grow + d * esz, zero);
    }
    return 0;
  }

  // Thresholds.
  const useSimd = sizeof<T>() == 4 && jn <= simdMax;
  for (let j = 0; j < jn; j++) {
    const y = <usize>load<i32>(tgt + (<usize>j << 2));
    store<T>(th + <usize>j * esz, -(<T>1 - load<T>(row + y * esz)));
  }

  // Targets are not non-targets: in this row's copy (never the caller's array), each target
  // position becomes the lowest finite value, which no threshold is below unless it is -inf
  // (then the sum is hugely negative and the row is summed exactly, below). Their x is not
  // needed again: a_j is -t_j.
  const lowest = sizeof<T>() == 4 ? <T>LOWEST_F32 : <T>-1.7976931348623157e308;
  let distinct = 0;
  for (let j = 0; j < jn; j++) {
    const p = <usize>load<i32>(tgt + (<usize>j << 2));
    if (load<u8>(mark + p) == 0) distinct++;
    store<u8>(mark + p, 1);
    store<T>(row + p * esz, lowest);
  }

  // The row sum: either complete from its pass (sumComplete), or sum_d k_d x_d to which the
  // thresholds' part sum_j c_j a_j is added below. Forward and gradient calls take the same
  // path and add in the same order, so their losses are equal to the bit.
  let sum: f64;
  if (sizeof<T>() == 8 && jn <= 8) {
    // f64, few targets: the reference's own double terms fl(x - t_j) where positive; the
    // counts, for a gradient, from the sorted thresholds.
    if (grow != 0) {
      sortedCount<T>(row, c, jn, th, scratch, grow, g, scale);
      if (countsFromHist) histToCounts(scratch, cz, jn);
    } else {
      clear16(cnt, <usize>jn << 2);
    }
    sum = hingeSum64(row, c, jn, th);
    sumComplete = true;
  } else if (useSimd) {
    sum = simdCount(row, c, jn, th, cnt, kbuf, grow, g, scale);
    sumComplete = false;
  } else {
    sum = sortedCount<T>(row, c, jn, th, scratch, grow, g, scale);
    if (countsFromHist) histToCounts(scratch, cz, jn);
  }

  // A -inf threshold was above every (lowered) target position: take those back out.
  for (let j = 0; j < jn; j++) {
    if (load<T>(th + <usize>j * esz) == <T>-Infinity) {
      const cj = cnt + (<usize>j << 2);
      store<i32>(cj, load<i32>(cj) - distinct);
    }
  }

  if (!sumComplete) {
    // For f64, re-sum around a shift m (the c-weighted median threshold) so that offset data
    // (all values near 1e6, say) does not cancel away digits: S = sum k (x - m) + sum c (m - t).
    let m: f64 = 0;
    if (sizeof<T>() == 8 && isFinite<f64>(sum)) {
      m = weightedMedianThreshold<T>(scratch, cz);
      if (m != 0) sum = shiftedSum<T>(row, kbuf, cz, m);
    }
    // Neumaier-compensated for f64 (the f32 paths need no more than plain double sums).
    let comp: f64 = 0;
    for (let j = 0; j < jn; j++) {
      const cj = load<i32>(cnt + (<usize>j << 2));
      if (cj == 0) continue;
      const v = <f64>cj * (m - <f64>load<T>(th + <usize>j * esz));
      if (sizeof<T>() == 8) {
        const next = sum + v;
        comp += abs<f64>(sum) >= abs<f64>(v) ? sum - next + v : v - next + sum;
        sum = next;
      } else {
        sum += v;
      }
    }
    if (sizeof<T>() == 8 && isFinite<f64>(comp)) sum += comp;
  }
  const guard = sizeof<T>() == 4 ? F32_SUM_GUARD : F64_SUM_GUARD;
  if (!(sum < guard && sum > -guard)) {
    sum = exactRowSum<T>(row, th, jn, c, mark);
  }

  if (grow != 0) {
    for (let j = 0; j < jn; j++) {
      store<f64>(tsum + (<usize>load<i32>(tgt + (<usize>j << 2)) << 3), 0);
    }
    for (let j = 0; j < jn; j++) {
      const p = tsum + (<usize>load<i32>(tgt + (<usize>j << 2)) << 3);
      store<f64>(p, load<f64>(p) - <f64>load<i32>(cnt + (<usize>j << 2)));
    }
    for (let j = 0; j < jn; j++) {
      const y = <usize>load<i32>(tgt + (<usize>j << 2));
      store<T>(grow + y * esz, <T>((load<f64>(tsum + (y << 3)) * g) * scale));
    }
  }
  for (let j = 0; j < jn; j++) store<u8>(mark + <usize>load<i32>(tgt + (<usize>j << 2)), 0);
  return sum;
}

/** The row sum term by term, as the reference computes it: a_j + x[d] in double, counted if > 0. */
function exactRowSum<T>(row: usize, th: usize, jn: i32, c: i32, mark: usize): f64 {
  const esz = sizeof<T>();
  let sum: f64 = 0;
  for (let j = 0; j < jn; j++) {
    const a: T = -load<T>(th + <usize>j * esz);
    for (let d: usize = 0; d < <usize>c; d++) {
      if (load<u8>(mark + d) != 0) continue;
      // In double: its sign is that of the sum rounded to T (the decision), its value DESIGN's.
      const term = <f64>a + <f64>load<T>(row + d * esz);
      if (term > 0) sum += term;
    }
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// Sorted thresholds + binary search.

/** Number of non-NaN thresholds in `sorted`. */
let sortedCountValid: i32 = 0;
/** Whether the last sortedCount left a histogram of k from which the counts c_j are to be made. */
let countsFromHist = true;
/** Whether the last counting pass returned the whole row sum (else sum_j c_j a_j is to be added). */
let sumComplete = false;
/** Largest number of distinct thresholds counted by weighted compare-and-count (one pass). */
const FEW_DISTINCT = 4;
/** Rows of at most this many distinct thresholds skip the bucket table (ties would crowd it). */
const FEW_FOR_TABLE = 16;

/**
 * The number of distinct values among the `jv` f32 thresholds indexed by `ord`, or `limit` + 1
 * as soon as there are more than `limit` (so rows without ties stop early). `seen`: 4 * limit bytes.
 */
function distinctAtMost(th: usize, ord: usize, jv: i32, limit: i32, seen: usize): i32 {
  let n = 0;
  for (let i = 0; i < jv; i++) {
    const v = load<f32>(th + (<usize>load<i32>(ord + (<usize>i << 2)) << 2));
    let found = false;
    for (let k = 0; k < n; k++) {
      if (load<f32>(seen + (<usize>k << 2)) == v) {
        found = true;
        break;
      }
    }
    if (found) continue;
    if (n == limit) return limit + 1;
    store<f32>(seen + (<usize>n << 2), v);
    n++;
  }
  return n;
}


/** k = the number of sorted thresholds below x (0 for NaN x). */
@inline
function sortedRank<T>(sorted: usize, size: i32, x: T): i32 {
  let k = 0;
  let step = size >> 1;
  while (step > 0) {
    k += select<i32>(step, 0, load<T>(sorted + <usize>(k + step - 1) * sizeof<T>()) < x);
    step >>= 1;
  }
  return k;
}

function sortedCount<T>(
  row: usize,
  c: i32,
  jn: i32,
  th: usize,
  scratch: usize,
  grow: usize,
  g: f64,
  scale: f64,
): f64 {
  const cz = <usize>c;
  const esz = sizeof<T>();
  const ord = scratch + ordOffset<usize>(cz);
  const sorted = scratch + sortedOffset<usize>(cz);
  const hist = scratch + histOffset<usize>(cz);
  const cnt = scratch + cntOffset<usize>(cz);
  const kbuf = scratch + kbufOffset<usize>(cz);

  // NaN thresholds never count; the others are sorted, padded with +inf to a power of two.
  let jv = 0;
  for (let j = 0; j < jn; j++) {
    const v = load<T>(th + <usize>j * esz);
    if (v == v) {
      store<i32>(ord + (<usize>jv << 2), j);
      jv++;
    }
  }
  clear16(cnt, <usize>jn << 2);
  // Rows of few distinct thresholds (ties: equal or integer scores) skip the bucket table: they
  // are counted against their distinct values below.
  if (sizeof<T>() == 4 && jv >= 8 && distinctAtMost(th, ord, jv, FEW_FOR_TABLE, scratch + kbufOffset<usize>(cz)) > FEW_FOR_TABLE) {
    const bucketSum = bucketRow(row, c, th, ord, jv, cnt, hist, scratch + bucketOffset<usize>(cz), sorted, grow, g, scale);
    if (bucketUsed()) {
      // The whole sum; with a gradient, the pass left the counts.
      countsFromHist = false;
      sumComplete = true;
      return bucketSum;
    }
  }

  if (sizeof<T>() == 4 && jv >= RADIX_MIN && cz >= 128) {
    radixSortF32(ord, jv, th, sorted, scratch + bucketOffset<usize>(cz));
  } else {
    sortIndices<T>(ord, jv, th);
  }
  let size = 1;
  while (size <= jv) size <<= 1;
  for (let i = 0; i < jv; i++) {
    store<T>(sorted + <usize>i * esz, load<T>(th + <usize>load<i32>(ord + (<usize>i << 2)) * esz));
  }
  for (let i = jv; i < size; i++) store<T>(sorted + <usize>i * esz, <T>Infinity);
  sortedCountValid = jv;

  clear16(hist, <usize>(jv + 2) << 4);
  countsFromHist = true;
  sumComplete = false;

  if (sizeof<T>() == 4 && jv > 0) {
    // Distinct values (ties are common: equal or integer scores), their weights and, below each,
    // the count and sum of thresholds.
    const dv = scratch + distinctOffset<usize>(cz);
    const cum = scratch + cumOffset<usize>(cz);
    const qd = scratch + qsumOffset<usize>(cz);
    let nd = 0;
    let q: f64 = 0;
    for (let i = 0; i < jv; i++) {
      const v = load<f32>(sorted + (<usize>i << 2));
      if (i == 0 || v != load<f32>(dv + (<usize>(nd - 1) << 2))) {
        store<f32>(dv + (<usize>nd << 2), v);
        store<i32>(cum + (<usize>nd << 2), i);
        store<f64>(qd + (<usize>nd << 3), q);
        nd++;
      }
      q += <f64>v;
    }
    store<i32>(cum + (<usize>nd << 2), jv);
    store<f64>(qd + (<usize>nd << 3), q);
    if (nd <= FEW_DISTINCT) {
      const sum = weightedCount(row, c, nd, dv, cum, cnt, ord, jv, scratch + kbufOffset<usize>(cz), grow, g, scale);
      countsFromHist = false;
      return sum;
    }
    const table = scratch + bucketOffset<usize>(cz);
    const addrs = scratch + kbufOffset<usize>(cz);
    const slotSum = slotCount(row, c, jv, nd, dv, cum, qd, sorted, size, hist, table, addrs, grow, g, scale);
    if (slotUsed()) {
      // The whole sum; with a gradient, the histogram of k for the counts.
      countsFromHist = grow != 0;
      sumComplete = true;
      return slotSum;
    }
  }

  let sum: f64 = 0;
  for (let d: usize = 0; d < cz; d++) {
    const xv: T = load<T>(row + d * esz);
    const k = sortedRank<T>(sorted, size, xv);
    if (sizeof<T>() == 8) store<i32>(kbuf + (d << 2), k);
    const hk = hist + (<usize>k << 4);
    store<i32>(hk, load<i32>(hk) + 1);
    const kf = <f64>k;
    sum += kf * <f64>xv;
    if (grow != 0) store<T>(grow + d * esz, <T>((kf * g) * scale));
  }
  return sum;
}

/**
 * f32, at most FEW_DISTINCT distinct thresholds (in `dv`, with `cum[i]` thresholds below dv[i]):
 * compare-and-count against the distinct values, each weighted by its multiplicity. Returns
 * sum_d k_d x_d and leaves c_j of every valid threshold in `cnt` (the caller adds sum c_j a_j).
 */
function weightedCount(
  row: usize,
  c: i32,
  nd: i32,
  dv: usize,
  cum: usize,
  cnt: usize,
  ord: usize,
  jv: i32,
  kbuf: usize,
  grow: usize,
  g: f64,
  scale: f64,
): f64 {
  // Weights (multiplicities) and per-value counts, after the values.
  const w = kbuf;
  const cd = kbuf + 16;
  for (let i = 0; i < 4; i++) {
    const wi = i < nd ? load<i32>(cum + (<usize>(i + 1) << 2)) - load<i32>(cum + (<usize>i << 2)) : 0;
    store<i32>(w + (<usize>i << 2), wi);
    store<i32>(cd + (<usize>i << 2), 0);
  }
  const groups = <usize>(c >> 2);
  let sum: f64 = 0;
  if (grow != 0) {
    if (nd == 1) sum = pass(row, groups, w, dv, cd, 1, true, true, true, grow, g, scale, true);
    else if (nd == 2) sum = pass(row, groups, w, dv, cd, 2, true, true, true, grow, g, scale, true);
    else if (nd == 3) sum = pass(row, groups, w, dv, cd, 3, true, true, true, grow, g, scale, true);
    else sum = pass(row, groups, w, dv, cd, 4, true, true, true, grow, g, scale, true);
  } else {
    if (nd == 1) sum = pass(row, groups, w, dv, cd, 1, true, true, false, grow, g, scale, true);
    else if (nd == 2) sum = pass(row, groups, w, dv, cd, 2, true, true, false, grow, g, scale, true);
    else if (nd == 3) sum = pass(row, groups, w, dv, cd, 3, true, true, false, grow, g, scale, true);
    else sum = pass(row, groups, w, dv, cd, 4, true, true, false, grow, g, scale, true);
  }
  // The last c % 4 elements, one by one.
  for (let d = <usize>(groups << 2); d < <usize>c; d++) {
    const xv = load<f32>(row + (d << 2));
    let k = 0;
    for (let i = 0; i < nd; i++) {
      if (xv > load<f32>(dv + (<usize>i << 2))) {
        k += load<i32>(w + (<usize>i << 2));
        const ci = cd + (<usize>i << 2);
        store<i32>(ci, load<i32>(ci) + 1);
      }
    }
    const kf = <f64>k;
    sum += kf * <f64>xv;
    if (grow != 0) store<f32>(grow + (d << 2), <f32>((kf * g) * scale));
  }
  // Every threshold of a distinct value has that value's count; walk the sorted order.
  let i = 0;
  for (let r = 0; r < jv; r++) {
    while (r >= load<i32>(cum + (<usize>(i + 1) << 2))) i++;
    store<i32>(cnt + (<usize>load<i32>(ord + (<usize>r << 2)) << 2), load<i32>(cd + (<usize>i << 2)));
  }
  return sum;
}

/** The sorted threshold at which the running sum of c (largest first) reaches half; 0 if none. */
function weightedMedianThreshold<T>(scratch: usize, cz: usize): f64 {
  const ord = scratch + ordOffset<usize>(cz);
  const sorted = scratch + sortedOffset<usize>(cz);
  const cnt = scratch + cntOffset<usize>(cz);
  let total: f64 = 0;
  for (let i = 0; i < sortedCountValid; i++) {
    total += <f64>load<i32>(cnt + (<usize>load<i32>(ord + (<usize>i << 2)) << 2));
  }
  if (total == 0) return 0;
  let running: f64 = 0;
  for (let i = 0; i < sortedCountValid; i++) {
    running += <f64>load<i32>(cnt + (<usize>load<i32>(ord + (<usize>i << 2)) << 2));
    if (running * 2 >= total) {
      const m = <f64>load<T>(sorted + <usize>i * sizeof<T>());
      return isFinite<f64>(m) ? m : 0;
    }
  }
  return 0;
}

/** sum_d k_d (x_d - m), with k_d saved by sortedCount; Neumaier-compensated. */
function shiftedSum<T>(row: usize, kbuf: usize, cz: usize, m: f64): f64 {
  let sum: f64 = 0;
  let comp: f64 = 0;
  for (let d: usize = 0; d < cz; d++) {
    const k = load<i32>(kbuf + (d << 2));
    if (k == 0) continue;
    const v = <f64>k * (<f64>load<T>(row + d * sizeof<T>()) - m);
    const next = sum + v;
    comp += abs<f64>(sum) >= abs<f64>(v) ? sum - next + v : v - next + sum;
    sum = next;
  }
  return isFinite<f64>(comp) ? sum + comp : sum;
}

/** c_j from the histogram of k: the j-th smallest threshold is below every x with k > j. */
function histToCounts(scratch: usize, cz: usize, jn: i32): void {
  const ord = scratch + ordOffset<usize>(cz);
  const hist = scratch + histOffset<usize>(cz);
  const cnt = scratch + cntOffset<usize>(cz);
  let running = 0;
  for (let i = sortedCountValid - 1; i >= 0; i--) {
    const h = hist + (<usize>(i + 1) << 4);
    running += load<i32>(h) + load<i32>(h, 4) + load<i32>(h, 8) + load<i32>(h, 12);
    store<i32>(cnt + (<usize>load<i32>(ord + (<usize>i << 2)) << 2), running);
  }
}

/** From this many thresholds on, f32 rows sort by radix (fewer mispredicted branches). */
const RADIX_MIN = 64;

/**
 * Sorts `count` i32 indices at `ord` by the non-NaN f32 keys they index at `keys`, ascending
 * (least significant digit radix sort, digits of 11, 11 and 10 bits of an order-preserving
 * integer image of each key, carrying the index). work: 16 * count bytes; counts: 8 KiB.
 */
function radixSortF32(ord: usize, count: i32, keys: usize, work: usize, counts: usize): void {
  const n = <usize>count;
  const a = work;
  const b = work + (n << 3);
  for (let i: usize = 0; i < n; i++) {
    const j = load<i32>(ord + (i << 2));
    const u = reinterpret<u32>(load<f32>(keys + (<usize>j << 2)));
    const key = (u & 0x80000000) != 0 ? ~u : u | 0x80000000;
    store<u64>(a + (i << 3), (<u64>key << 32) | <u64><u32>j);
  }
  radixPass(a, b, n, 32, 2047, counts, 0);
  radixPass(b, a, n, 43, 2047, counts, 0);
  radixPass(a, 0, n, 54, 1023, counts, ord);
}

/** One counting pass on the digit (v >> shift) & mask: from `src` into `dst`, or, for the last, the indices into `ord`. */
function radixPass(src: usize, dst: usize, n: usize, shift: u64, mask: u64, counts: usize, ord: usize): void {
  memory.fill(counts, 0, <usize>((mask + 1) << 2));
  for (let i: usize = 0; i < n; i++) {
    const d = <usize>((load<u64>(src + (i << 3)) >> shift) & mask) << 2;
    store<i32>(counts + d, load<i32>(counts + d) + 1);
  }
  let running = 0;
  for (let d: usize = 0; d <= <usize>mask; d++) {
    const c = load<i32>(counts + (d << 2));
    store<i32>(counts + (d << 2), running);
    running += c;
  }
  for (let i: usize = 0; i < n; i++) {
    const v = load<u64>(src + (i << 3));
    const d = <usize>((v >> shift) & mask) << 2;
    const at = <usize>load<i32>(counts + d);
    store<i32>(counts + d, <i32>at + 1);
    if (ord != 0) store<i32>(ord + (at << 2), <i32><u32>v);
    else store<u64>(dst + (at << 3), v);
  }
}

/** Sorts `count` i32 indices at `ord` by the T keys they index at `keys` (heapsort, ascending). */
function sortIndices<T>(ord: usize, count: i32, keys: usize): void {
  for (let start = (count >> 1) - 1; start >= 0; start--) siftDown<T>(ord, start, count, keys);
  for (let end = count - 1; end > 0; end--) {
    const first = load<i32>(ord);
    store<i32>(ord, load<i32>(ord + (<usize>end << 2)));
    store<i32>(ord + (<usize>end << 2), first);
    siftDown<T>(ord, 0, end, keys);
  }
}

function siftDown<T>(ord: usize, start: i32, end: i32, keys: usize): void {
  let root = start;
  while (true) {
    let child = 2 * root + 1;
    if (child >= end) return;
    let ci = load<i32>(ord + (<usize>child << 2));
    if (child + 1 < end) {
      const ri = load<i32>(ord + (<usize>(child + 1) << 2));
      if (load<T>(keys + <usize>ri * sizeof<T>()) > load<T>(keys + <usize>ci * sizeof<T>())) {
        child++;
        ci = ri;
      }
    }
    const rootIdx = load<i32>(ord + (<usize>root << 2));
    if (load<T>(keys + <usize>ci * sizeof<T>()) > load<T>(keys + <usize>rootIdx * sizeof<T>())) {
      store<i32>(ord + (<usize>root << 2), ci);
      store<i32>(ord + (<usize>child << 2), rootIdx);
      root = child;
    } else {
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// SIMD compare-and-count (f32): thresholds in blocks of up to four, each a splat (more would
// spill registers: measured slower).

/**
 * Forward only, f64, J <= 8: the row's hinge sum, the reference's terms a_j + x[d] = fl(x[d] - t_j)
 * (the same double, as a_j = -t_j exactly) where positive, added in f64 two lanes at a time.
 * pmax(0, x - t) keeps x - t where it is positive, else 0, NaN included.
 */
function hingeSum64(row: usize, c: i32, jn: i32, th: usize): f64 {
  const pairs = <usize>(c >> 1);
  let sum: f64 = 0;
  if (jn == 1) sum = hingePass64(row, pairs, th, 1);
  else if (jn == 2) sum = hingePass64(row, pairs, th, 2);
  else if (jn == 3) sum = hingePass64(row, pairs, th, 3);
  else if (jn == 4) sum = hingePass64(row, pairs, th, 4);
  else if (jn == 5) sum = hingePass64(row, pairs, th, 5);
  else if (jn == 6) sum = hingePass64(row, pairs, th, 6);
  else if (jn == 7) sum = hingePass64(row, pairs, th, 7);
  else sum = hingePass64(row, pairs, th, 8);
  for (let d = <usize>(pairs << 1); d < <usize>c; d++) {
    const xv = load<f64>(row + (d << 3));
    for (let j = 0; j < jn; j++) {
      const t = load<f64>(th + (<usize>j << 3));
      if (xv > t) sum += xv - t;
    }
  }
  return sum;
}

@inline
function hingePass64(row: usize, pairs: usize, th: usize, nb: i32): f64 {
  const t0 = nb > 0 ? v128.load64_splat(th + 0) : f64x2.splat(Infinity);
  const t1 = nb > 1 ? v128.load64_splat(th + 8) : f64x2.splat(Infinity);
  const t2 = nb > 2 ? v128.load64_splat(th + 16) : f64x2.splat(Infinity);
  const t3 = nb > 3 ? v128.load64_splat(th + 24) : f64x2.splat(Infinity);
  const t4 = nb > 4 ? v128.load64_splat(th + 32) : f64x2.splat(Infinity);
  const t5 = nb > 5 ? v128.load64_splat(th + 40) : f64x2.splat(Infinity);
  const t6 = nb > 6 ? v128.load64_splat(th + 48) : f64x2.splat(Infinity);
  const t7 = nb > 7 ? v128.load64_splat(th + 56) : f64x2.splat(Infinity);
  const zero = f64x2.splat(0);
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  const whole = pairs & ~(<usize>1);
  for (let i: usize = 0; i < whole; i += 2) {
    const p = row + (i << 4);
    s0 = f64x2.add(s0, hingePair(v128.load(p), zero, nb, t0, t1, t2, t3, t4, t5, t6, t7));
    s1 = f64x2.add(s1, hingePair(v128.load(p, 16), zero, nb, t0, t1, t2, t3, t4, t5, t6, t7));
  }
  if (whole < pairs) s0 = f64x2.add(s0, hingePair(v128.load(row + (whole << 4)), zero, nb, t0, t1, t2, t3, t4, t5, t6, t7));
  const s = f64x2.add(s0, s1);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

/** Two f64 values' hinge terms against `nb` thresholds, added as a tree. */
@inline
function hingePair(
  xv: v128,
  zero: v128,
  nb: i32,
  t0: v128,
  t1: v128,
  t2: v128,
  t3: v128,
  t4: v128,
  t5: v128,
  t6: v128,
  t7: v128,
): v128 {
  const a = f64x2.pmax(zero, f64x2.sub(xv, t0));
  if (nb == 1) return a;
  const b = f64x2.pmax(zero, f64x2.sub(xv, t1));
  let u = f64x2.add(a, b);
  if (nb > 2) {
    let v = f64x2.pmax(zero, f64x2.sub(xv, t2));
    if (nb > 3) v = f64x2.add(v, f64x2.pmax(zero, f64x2.sub(xv, t3)));
    u = f64x2.add(u, v);
  }
  if (nb > 4) {
    let w = f64x2.pmax(zero, f64x2.sub(xv, t4));
    if (nb > 5) w = f64x2.add(w, f64x2.pmax(zero, f64x2.sub(xv, t5)));
    if (nb > 6) {
      let z = f64x2.pmax(zero, f64x2.sub(xv, t6));
      if (nb > 7) z = f64x2.add(z, f64x2.pmax(zero, f64x2.sub(xv, t7)));
      w = f64x2.add(w, z);
    }
    u = f64x2.add(u, w);
  }
  return u;
}

function simdCount(
  row: usize,
  c: i32,
  jn: i32,
  th: usize,
  cnt: usize,
  kbuf: usize,
  grow: usize,
  g: f64,
  scale: f64,
): f64 {
  clear16(cnt, <usize>jn << 2);
  const groups = <usize>(c >> 2);
  let sum: f64 = 0;
  if (jn <= 8) {
    // One pass against up to eight thresholds (each call a specialisation of the inlined pass).
    if (grow != 0) {
      if (jn == 1) sum = pass(row, groups, kbuf, th, cnt, 1, true, true, true, grow, g, scale, false);
      else if (jn == 2) sum = pass(row, groups, kbuf, th, cnt, 2, true, true, true, grow, g, scale, false);
      else if (jn == 3) sum = pass(row, groups, kbuf, th, cnt, 3, true, true, true, grow, g, scale, false);
      else if (jn == 4) sum = pass(row, groups, kbuf, th, cnt, 4, true, true, true, grow, g, scale, false);
      else if (jn == 5) sum = pass(row, groups, kbuf, th, cnt, 5, true, true, true, grow, g, scale, false);
      else if (jn == 6) sum = pass(row, groups, kbuf, th, cnt, 6, true, true, true, grow, g, scale, false);
      else if (jn == 7) sum = pass(row, groups, kbuf, th, cnt, 7, true, true, true, grow, g, scale, false);
      else sum = pass(row, groups, kbuf, th, cnt, 8, true, true, true, grow, g, scale, false);
    } else {
      if (jn == 1) sum = pass(row, groups, kbuf, th, cnt, 1, true, true, false, grow, g, scale, false);
      else if (jn == 2) sum = pass(row, groups, kbuf, th, cnt, 2, true, true, false, grow, g, scale, false);
      else if (jn == 3) sum = pass(row, groups, kbuf, th, cnt, 3, true, true, false, grow, g, scale, false);
      else if (jn == 4) sum = pass(row, groups, kbuf, th, cnt, 4, true, true, false, grow, g, scale, false);
      else if (jn == 5) sum = pass(row, groups, kbuf, th, cnt, 5, true, true, false, grow, g, scale, false);
      else if (jn == 6) sum = pass(row, groups, kbuf, th, cnt, 6, true, true, false, grow, g, scale, false);
      else if (jn == 7) sum = pass(row, groups, kbuf, th, cnt, 7, true, true, false, grow, g, scale, false);
      else sum = pass(row, groups, kbuf, th, cnt, 8, true, true, false, grow, g, scale, false);
    }
    return sum + countTail(row, c, groups, jn, th, cnt, grow, g, scale);
  }
  const blocks = (jn + 3) >> 2;
  let o: usize = 0;
  for (let b = 0; b < blocks - 1; b++) {
    o = <usize>(b << 4);
    if (b == 0) pass(row, groups, kbuf, th, cnt, 4, true, false, false, grow, g, scale, false);
    else pass(row, groups, kbuf, th + o, cnt + o, 4, false, false, false, grow, g, scale, false);
  }
  o = <usize>((blocks - 1) << 4);
  const nb = jn - ((blocks - 1) << 2);
  const first = blocks == 1;
  const withGrad = grow != 0;
  // Each call below is a specialisation (constant block size and flags) of the inlined pass.

  if (first == true && withGrad == true) {
    if (nb == 1) sum = pass(row, groups, kbuf, th + o, cnt + o, 1, true, true, true, grow, g, scale, false);
    if (nb == 2) sum = pass(row, groups, kbuf, th + o, cnt + o, 2, true, true, true, grow, g, scale, false);
    if (nb == 3) sum = pass(row, groups, kbuf, th + o, cnt + o, 3, true, true, true, grow, g, scale, false);
    if (nb == 4) sum = pass(row, groups, kbuf, th + o, cnt + o, 4, true, true, true, grow, g, scale, false);
  }
  if (first == true && withGrad == false) {
    if (nb == 1) sum = pass(row, groups, kbuf, th + o, cnt + o, 1, true, true, false, grow, g, scale, false);
    if (nb == 2) sum = pass(row, groups, kbuf, th + o, cnt + o, 2, true, true, false, grow, g, scale, false);
    if (nb == 3) sum = pass(row, groups, kbuf, th + o, cnt + o, 3, true, true, false, grow, g, scale, false);
    if (nb == 4) sum = pass(row, groups, kbuf, th + o, cnt + o, 4, true, true, false, grow, g, scale, false);
  }
  if (first == false && withGrad == true) {
    if (nb == 1) sum = pass(row, groups, kbuf, th + o, cnt + o, 1, false, true, true, grow, g, scale, false);
    if (nb == 2) sum = pass(row, groups, kbuf, th + o, cnt + o, 2, false, true, true, grow, g, scale, false);
    if (nb == 3) sum = pass(row, groups, kbuf, th + o, cnt + o, 3, false, true, true, grow, g, scale, false);
    if (nb == 4) sum = pass(row, groups, kbuf, th + o, cnt + o, 4, false, true, true, grow, g, scale, false);
  }
  if (first == false && withGrad == false) {
    if (nb == 1) sum = pass(row, groups, kbuf, th + o, cnt + o, 1, false, true, false, grow, g, scale, false);
    if (nb == 2) sum = pass(row, groups, kbuf, th + o, cnt + o, 2, false, true, false, grow, g, scale, false);
    if (nb == 3) sum = pass(row, groups, kbuf, th + o, cnt + o, 3, false, true, false, grow, g, scale, false);
    if (nb == 4) sum = pass(row, groups, kbuf, th + o, cnt + o, 4, false, true, false, grow, g, scale, false);
  }

  return sum + countTail(row, c, groups, jn, th, cnt, grow, g, scale);
}

/** The last c % 4 elements of a compare-and-count row, one by one: their sum of k * x. */
function countTail(
  row: usize,
  c: i32,
  groups: usize,
  jn: i32,
  th: usize,
  cnt: usize,
  grow: usize,
  g: f64,
  scale: f64,
): f64 {
  let sum: f64 = 0;
  for (let d = <usize>(groups << 2); d < <usize>c; d++) {
    const xv = load<f32>(row + (d << 2));
    let k = 0;
    for (let j = 0; j < jn; j++) {
      if (xv > load<f32>(th + (<usize>j << 2))) {
        k++;
        const cj = cnt + (<usize>j << 2);
        store<i32>(cj, load<i32>(cj) + 1);
      }
    }
    const kf = <f64>k;
    sum += kf * <f64>xv;
    if (grow != 0) store<f32>(grow + (d << 2), <f32>((kf * g) * scale));
  }
  return sum;
}

/**
 * One pass over the row's 4-lane groups against `nb` (1..4) thresholds at `th`, adding to the
 * counts at `cnt`. `first`: k starts at 0 (else read from kbuf); `last`: finish (sum of k*x,
 * gradient) instead of saving k. Inlined with constant flags, so each use is specialised.
 */
@inline
function pass(
  row: usize,
  groups: usize,
  kbuf: usize,
  th: usize,
  cnt: usize,
  nb: i32,
  first: bool,
  last: bool,
  withGrad: bool,
  grow: usize,
  g: f64,
  scale: f64,
  weighted: bool,
): f64 {
  // Weighted (distinct thresholds): k grows by each value's weight, read from `kbuf`.
  const w0 = weighted && nb > 0 ? v128.load32_splat(kbuf + 0) : i32x4.splat(0);
  const w1 = weighted && nb > 1 ? v128.load32_splat(kbuf + 4) : i32x4.splat(0);
  const w2 = weighted && nb > 2 ? v128.load32_splat(kbuf + 8) : i32x4.splat(0);
  const w3 = weighted && nb > 3 ? v128.load32_splat(kbuf + 12) : i32x4.splat(0);
  const t0 = nb > 0 ? v128.load32_splat(th + 0) : f32x4.splat(Infinity);
  const t1 = nb > 1 ? v128.load32_splat(th + 4) : f32x4.splat(Infinity);
  const t2 = nb > 2 ? v128.load32_splat(th + 8) : f32x4.splat(Infinity);
  const t3 = nb > 3 ? v128.load32_splat(th + 12) : f32x4.splat(Infinity);
  const t4 = nb > 4 ? v128.load32_splat(th + 16) : f32x4.splat(Infinity);
  const t5 = nb > 5 ? v128.load32_splat(th + 20) : f32x4.splat(Infinity);
  const t6 = nb > 6 ? v128.load32_splat(th + 24) : f32x4.splat(Infinity);
  const t7 = nb > 7 ? v128.load32_splat(th + 28) : f32x4.splat(Infinity);
  let c0 = i32x4.splat(0);
  let c1 = i32x4.splat(0);
  let c2 = i32x4.splat(0);
  let c3 = i32x4.splat(0);
  let c4 = i32x4.splat(0);
  let c5 = i32x4.splat(0);
  let c6 = i32x4.splat(0);
  let c7 = i32x4.splat(0);
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  const gv = f64x2.splat(g);
  const sv = f64x2.splat(scale);
  for (let i: usize = 0; i < groups; i++) {
    const off = i << 4;
    const xv = v128.load(row + off);
    let k = first || weighted ? i32x4.splat(0) : v128.load(kbuf + off);
    if (nb > 0) {
      const m0 = f32x4.gt(xv, t0);
      k = weighted ? i32x4.add(k, v128.and(m0, w0)) : i32x4.sub(k, m0);
      c0 = i32x4.sub(c0, m0);
    }
    if (nb > 1) {
      const m1 = f32x4.gt(xv, t1);
      k = weighted ? i32x4.add(k, v128.and(m1, w1)) : i32x4.sub(k, m1);
      c1 = i32x4.sub(c1, m1);
    }
    if (nb > 2) {
      const m2 = f32x4.gt(xv, t2);
      k = weighted ? i32x4.add(k, v128.and(m2, w2)) : i32x4.sub(k, m2);
      c2 = i32x4.sub(c2, m2);
    }
    if (nb > 3) {
      const m3 = f32x4.gt(xv, t3);
      k = weighted ? i32x4.add(k, v128.and(m3, w3)) : i32x4.sub(k, m3);
      c3 = i32x4.sub(c3, m3);
    }
    if (nb > 4) {
      const m4 = f32x4.gt(xv, t4);
      k = i32x4.sub(k, m4);
      c4 = i32x4.sub(c4, m4);
    }
    if (nb > 5) {
      const m5 = f32x4.gt(xv, t5);
      k = i32x4.sub(k, m5);
      c5 = i32x4.sub(c5, m5);
    }
    if (nb > 6) {
      const m6 = f32x4.gt(xv, t6);
      k = i32x4.sub(k, m6);
      c6 = i32x4.sub(c6, m6);
    }
    if (nb > 7) {
      const m7 = f32x4.gt(xv, t7);
      k = i32x4.sub(k, m7);
      c7 = i32x4.sub(c7, m7);
    }
    if (!last && !weighted) {
      v128.store(kbuf + off, k);
    } else {
      const xl = f64x2.promote_low_f32x4(xv);
      const xh = promoteHigh(xv);
      const kl = f64x2.convert_low_i32x4_s(k);
      const kh = convertHigh(k);
      s0 = f64x2.add(s0, f64x2.mul(kl, xl));
      s1 = f64x2.add(s1, f64x2.mul(kh, xh));
      if (withGrad) {
        v128.store(grow + off, gradientLanes(kl, kh, gv, sv));
      }
    }
  }
  if (nb > 0) addLanes(cnt + 0, c0);
  if (nb > 1) addLanes(cnt + 4, c1);
  if (nb > 2) addLanes(cnt + 8, c2);
  if (nb > 3) addLanes(cnt + 12, c3);
  if (nb > 4) addLanes(cnt + 16, c4);
  if (nb > 5) addLanes(cnt + 20, c5);
  if (nb > 6) addLanes(cnt + 24, c6);
  if (nb > 7) addLanes(cnt + 28, c7);
  if (!last) return 0;
  const s = f64x2.add(s0, s1);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

@inline
function addLanes(p: usize, v: v128): void {
  const total =
    i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
  store<i32>(p, load<i32>(p) + total);
}
