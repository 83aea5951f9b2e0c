// Bucketed rank (f32, many targets). A monotone float-to-bucket map b(x) splits the thresholds'
// range into many more buckets than thresholds, so that most buckets hold at most one. A
// threshold in a lower bucket than x is below x, one in a higher bucket is above it; only the
// thresholds in x's own bucket need a compare. Each bucket's 16-byte entry holds
//   Q (f64): the sum of the "primary" thresholds in lower buckets,
//   t (f32): the bucket's smallest threshold (its primary; +inf if none),
//   A (i32): the number of primary thresholds in lower buckets,
// so one 128-bit load per lane fetches all three, and for x in bucket b
//   k = A + [x > t] + (overflows below x),   sum of those thresholds = Q + [x > t] t + (overflows')
// Every further threshold of a bucket (an "overflow": a duplicate, or a second value) is compared
// against every element, as the compare-and-count path does, with its multiplicity as weight.
// Rows with more than MAX_THRESHOLDS thresholds, too many overflows even at the finer table, or
// a range the map cannot spread (non-finite ends) are left to the caller (slots.ts, then binary
// search). No sort is needed here: the table is filled from the unsorted thresholds, and a
// threshold's rank is its own k.
//
// The map: y = clamp(fl(fl(x * s) + (2^23 - lo s)), 2^23, 2^23 + nb) in f32. Every step is
// monotone non-decreasing, so bucket order agrees with value order; values in [2^23, 2^24) are
// integers whose f32 bit pattern is 0x4B000000 + the bucket index, so the index costs no
// float-to-int conversion. NaN lands in bucket 0 (pmax keeps its first operand), where A is 0
// and the compare is false: k = 0, as NaN never counts.
//
// Lanes move to scalar addresses through memory: the pass stores the entry addresses of group
// i + LAG into a buffer and loads those of group i back as integers, which is measurably faster
// than extracting lanes right before the gathers.

import { clear16 } from './clear';
import { convertHigh, gradientLanes, promoteHigh } from './lanes';

/** Most buckets in a table: 16-byte entries, so at most 64 KiB. */
const MAX_BUCKETS: i32 = 4096;
/** Most thresholds a table is tried for. */
const MAX_THRESHOLDS = 256;
/** Most distinct overflow values a row may have. */
const MAX_OVERFLOWS = 4;
/** Buckets per threshold tried first, then FINE_PER_THRESHOLD if there were too many overflows. */
let coarsePerThreshold: i32 = 32;
const FINE_PER_THRESHOLD: i32 = 128;
/** 2^23: adding it to a value in [0, 2^23) leaves the rounded value in the low mantissa bits. */
const MAGIC: f32 = 8388608.0;
/** The bit pattern of MAGIC shifted left by 4 (mod 2^32): bits << 4 minus this is 16 * bucket. */
const MAGIC_BITS_X16: u32 = 0xb0000000;
/** Groups by which the entry addresses are computed ahead of the gathers. */
const LAG: usize = 4;

/** Whether the last bucketRow call did the row (else the caller must). */
let used = false;
/** Number of distinct overflow values of the current table. */
let overflows = 0;

/** Whether the last {@link bucketRow} did the row. */
export function bucketUsed(): bool {
  return used;
}

/** Sets the buckets per threshold of the first try (for measurements). */
export function setCoarseBucketsPerThreshold(p: i32): void {
  coarsePerThreshold = p;
}

/** Bytes of scratch for rows of c classes: the table and its auxiliary area. */
export function bucketTableBytes<N>(c: N): N {
  const buckets: N = c >= <N>(MAX_BUCKETS / FINE_PER_THRESHOLD) ? <N>MAX_BUCKETS : c * <N>FINE_PER_THRESHOLD;
  return <N>16 * (buckets + <N>1) + <N>AUX_BYTES;
}

// The area after the table: overflows (8 bytes each), k's scratch, the bitmap.
const KTMP_OFFSET: usize = 8 * MAX_OVERFLOWS;
const BITMAP_OFFSET: usize = KTMP_OFFSET + 16;
const AUX_BYTES: usize = BITMAP_OFFSET + 4 * ((MAX_BUCKETS + 32) >> 5) + 16;

@inline
function maxBuckets(c: i32): i32 {
  return c >= MAX_BUCKETS / FINE_PER_THRESHOLD ? MAX_BUCKETS : c * FINE_PER_THRESHOLD;
}

/** Byte offsets (plus MAGIC_BITS_X16) of the entries of four values' buckets. */
@inline
function entryOffsets(xv: v128, sv: v128, cv: v128, bottom: v128, top: v128): v128 {
  return i32x4.shl(f32x4.pmin(f32x4.pmax(bottom, f32x4.add(f32x4.mul(xv, sv), cv)), top), 4);
}

// The current table's parameters, for the scalar helpers.
let mapS: f32 = 0;
let mapC: f32 = 0;
let mapTop: f32 = 0;
/** Overflow values and weights, k's scratch and the occupancy bitmap, after the table. */
let aux: usize = 0;

/** The entry of a value's bucket: the lane arithmetic of the pass, in scalar f32 (IEEE alike). */
@inline
function entryOf(table: usize, v: f32): usize {
  let y = v * mapS + mapC;
  y = MAGIC < y ? y : MAGIC;
  y = mapTop < y ? mapTop : y;
  return table + ((reinterpret<u32>(y) << 4) - MAGIC_BITS_X16);
}

/** Overflow i: its value (f32) at +0, its weight (i32) at +4. */
@inline
function overflowAt(i: i32): usize {
  return aux + (<usize>i << 3);
}

/** The sum (f64) of the thresholds the last rankOf counted. */
let lastQ: f64 = 0;

/** k(v) = the number of the row's valid thresholds below v (their sum: lastQ). */
function rankOf(table: usize, v: f32): i32 {
  const e = entryOf(table, v);
  const t = load<f32>(e, 8);
  let k = load<i32>(e, 12);
  let q = load<f64>(e);
  if (v > t) {
    k++;
    q += <f64>t;
  }
  for (let i = 0; i < overflows; i++) {
    const o = overflowAt(i);
    const ov = load<f32>(o);
    if (v > ov) {
      const w = load<i32>(o, 4);
      k += w;
      q += <f64>w * <f64>ov;
    }
  }
  lastQ = q;
  return k;
}

/**
 * Fills the table of `nb` + 1 entries from the `jv` valid thresholds (indices at `ord` into
 * `th`); false if there are more than MAX_OVERFLOWS distinct overflow values. `work`: 4 * jv
 * bytes.
 */
function buildTable(th: usize, ord: usize, jv: i32, table: usize, nb: i32, work: usize): bool {
  // Occupied buckets: a bit each, and their entries (flag = 0, smallest threshold, occupancy).
  const bits = aux + BITMAP_OFFSET;
  const words = <usize>((nb + 32) >> 5);
  clear16(bits, words << 2);
  for (let i = 0; i < jv; i++) {
    const v = load<f32>(th + (<usize>load<i32>(ord + (<usize>i << 2)) << 2));
    const e = entryOf(table, v);
    store<u32>(work + (<usize>i << 2), <u32>e);
    const b = (e - table) >> 4;
    const word = bits + ((b >> 5) << 2);
    const bit = <u32>1 << <u32>(b & 31);
    const w = load<u32>(word);
    if ((w & bit) == 0) {
      store<u32>(word, w | bit);
      store<i32>(e, 0);
      store<f32>(e, v, 8);
      store<i32>(e, 1, 12);
    } else {
      store<i32>(e, load<i32>(e, 12) + 1, 12);
      if (v < load<f32>(e, 8)) store<f32>(e, v, 8);
    }
  }
  // Overflows: every threshold of a shared bucket but one copy of its smallest.
  let nOver = 0;
  for (let i = 0; i < jv; i++) {
    const e = <usize>load<u32>(work + (<usize>i << 2));
    if (load<i32>(e, 12) == 1) continue;
    const v = load<f32>(th + (<usize>load<i32>(ord + (<usize>i << 2)) << 2));
    if (v == load<f32>(e, 8) && load<i32>(e) == 0) {
      store<i32>(e, 1);
      continue;
    }
    let o = 0;
    while (o < nOver && load<f32>(overflowAt(o)) != v) o++;
    const p = overflowAt(o);
    if (o < nOver) {
      store<i32>(p, load<i32>(p, 4) + 1, 4);
    } else {
      if (nOver == MAX_OVERFLOWS) return false;
      store<f32>(p, v);
      store<i32>(p, 1, 4);
      nOver++;
    }
  }
  overflows = nOver;
  // In bucket order: A and Q over the primaries of lower buckets; empty buckets get t = +inf.
  let a = 0;
  let q: f64 = 0;
  let empty = i32x4.replace_lane(i32x4.splat(0), 2, 0x7f800000);
  let next = table;
  for (let wi: usize = 0; wi < words; wi++) {
    let w = load<u32>(bits + (wi << 2));
    while (w != 0) {
      const e = table + (((wi << 5) + <usize>ctz(w)) << 4);
      w &= w - 1;
      next = fill(next, e, empty);
      const t = load<f32>(e, 8);
      store<f64>(e, q);
      store<i32>(e, a, 12);
      a++;
      q += <f64>t;
      empty = i32x4.replace_lane(f64x2.replace_lane(empty, 0, q), 3, a);
      next = e + 16;
    }
  }
  const end = table + (<usize>(nb + 1) << 4);
  fill(next, end, empty);
  return true;
}

/** Stores `v` into every 16 bytes of [from, to); returns `to`. */
@inline
function fill(from: usize, to: usize, v: v128): usize {
  let p = from;
  for (; p + 64 <= to; p += 64) {
    v128.store(p, v);
    v128.store(p, v, 16);
    v128.store(p, v, 32);
    v128.store(p, v, 48);
  }
  for (; p < to; p += 16) v128.store(p, v);
  return to;
}

/**
 * The row through a bucket table, if it can be built (see {@link bucketUsed}). Returns the
 * row's hinge sum, sum_d (k_d x_d - sum of the k_d thresholds below x_d), the same with or
 * without a gradient. With a gradient (`grow` != 0) also stores k * g * scale into `grow` and
 * c_j into `cnt` for every valid j.
 * th: f32 thresholds by j; ord: the jv valid (non-NaN) j; hist: (jv + 2) * 16 bytes;
 * work: 4 * c + 16 * LAG + 16 bytes.
 */
export function bucketRow(
  row: usize,
  c: i32,
  th: usize,
  ord: usize,
  jv: i32,
  cnt: usize,
  hist: usize,
  table: usize,
  work: usize,
  grow: usize,
  g: f64,
  scale: f64,
): f64 {
  used = false;
  // Beyond this many thresholds, 4096 buckets hold several shared ones (about jv^2 / 8192).
  if (jv > MAX_THRESHOLDS) return 0;
  aux = table + (<usize>(maxBuckets(c) + 1) << 4);
  let lo: f32 = Infinity;
  let hi: f32 = -Infinity;
  for (let i = 0; i < jv; i++) {
    const v = load<f32>(th + (<usize>load<i32>(ord + (<usize>i << 2)) << 2));
    lo = min(lo, v);
    hi = max(hi, v);
  }
  if (!(hi > lo) || !isFinite<f32>(lo) || !isFinite<f32>(hi)) return 0;
  const cap = maxBuckets(c);
  let nb = min(coarsePerThreshold * jv, cap);
  if (!setMap(lo, hi, nb) || !buildTable(th, ord, jv, table, nb, work)) {
    const fine = min(FINE_PER_THRESHOLD * jv, cap);
    if (fine <= nb) return 0;
    nb = fine;
    if (!setMap(lo, hi, nb) || !buildTable(th, ord, jv, table, nb, work)) return 0;
  }
  used = true;
  const groups = <usize>(c >> 2);
  const n = overflows;
  const withGrad = grow != 0;
  if (withGrad) clear16(hist, <usize>(jv + 2) << 4);
  let sum: f64 = 0;
  if (groups > 0) {
    // Each call is a specialisation (constant overflow count and flag) of the inlined pass.
    if (withGrad) {
      if (n == 0) sum = bucketPass(row, groups, table, work, nb, 0, true, hist, grow, g, scale);
      else if (n == 1) sum = bucketPass(row, groups, table, work, nb, 1, true, hist, grow, g, scale);
      else if (n == 2) sum = bucketPass(row, groups, table, work, nb, 2, true, hist, grow, g, scale);
      else sum = bucketPass(row, groups, table, work, nb, 4, true, hist, grow, g, scale);
    } else {
      if (n == 0) sum = bucketPass(row, groups, table, work, nb, 0, false, hist, grow, g, scale);
      else if (n == 1) sum = bucketPass(row, groups, table, work, nb, 1, false, hist, grow, g, scale);
      else if (n == 2) sum = bucketPass(row, groups, table, work, nb, 2, false, hist, grow, g, scale);
      else sum = bucketPass(row, groups, table, work, nb, 4, false, hist, grow, g, scale);
    }
  }
  // The last c % 4 elements, one by one.
  for (let d = <usize>(groups << 2); d < <usize>c; d++) {
    const xv = load<f32>(row + (d << 2));
    const k = rankOf(table, xv);
    sum += <f64>k * <f64>xv - lastQ;
    if (withGrad) {
      const hk = hist + (<usize>k << 4);
      store<i32>(hk, load<i32>(hk) + 1);
      store<f32>(grow + (d << 2), <f32>((<f64>k * g) * scale));
    }
  }
  if (withGrad) {
    // c_j = the number of elements whose k exceeds the rank of t_j: suffix sums of the histogram.
    let running = 0;
    for (let k = jv; k >= 0; k--) {
      const h = hist + (<usize>k << 4);
      running += load<i32>(h) + load<i32>(h, 4) + load<i32>(h, 8) + load<i32>(h, 12);
      store<i32>(h, running);
    }
    for (let i = 0; i < jv; i++) {
      const j = <usize>load<i32>(ord + (<usize>i << 2));
      const r = rankOf(table, load<f32>(th + (j << 2)));
      store<i32>(cnt + (j << 2), load<i32>(hist + (<usize>(r + 1) << 4)));
    }
  }
  return sum;
}

/** Sets the map for `nb` buckets over [lo, hi]; false if it cannot spread them. */
function setMap(lo: f32, hi: f32, nb: i32): bool {
  const s: f32 = <f32>nb / (hi - lo);
  if (!isFinite<f32>(s) || !(s > 0)) return false;
  mapS = s;
  mapC = MAGIC - lo * s;
  mapTop = MAGIC + <f32>nb;
  return isFinite<f32>(mapC);
}

@inline
function bucketPass(
  row: usize,
  groups: usize,
  table: usize,
  addrs: usize,
  nb: i32,
  nOver: i32,
  withGrad: bool,
  hist: usize,
  grow: usize,
  g: f64,
  scale: f64,
): f64 {
  const over = aux;
  const ktmp = aux + KTMP_OFFSET;
  const o0 = nOver > 0 ? v128.load32_splat(over) : f32x4.splat(Infinity);
  const o1 = nOver > 1 ? v128.load32_splat(over + 8) : f32x4.splat(Infinity);
  const o2 = nOver > 2 ? v128.load32_splat(over + 16) : f32x4.splat(Infinity);
  const o3 = nOver > 3 && overflows > 3 ? v128.load32_splat(over + 24) : f32x4.splat(Infinity);
  const w0 = nOver > 0 ? v128.load32_splat(over + 4) : i32x4.splat(0);
  const w1 = nOver > 1 ? v128.load32_splat(over + 12) : i32x4.splat(0);
  const w2 = nOver > 2 ? v128.load32_splat(over + 20) : i32x4.splat(0);
  const w3 = nOver > 3 && overflows > 3 ? v128.load32_splat(over + 28) : i32x4.splat(0);
  let c0 = i32x4.splat(0);
  let c1 = i32x4.splat(0);
  let c2 = i32x4.splat(0);
  let c3 = i32x4.splat(0);
  const sv = f32x4.splat(mapS);
  const cv = f32x4.splat(mapC);
  const bottom = f32x4.splat(MAGIC);
  const top = f32x4.splat(mapTop);
  const gv = f64x2.splat(g);
  const scv = f64x2.splat(scale);
  const bias = i32x4.splat(<i32>(table - <usize>MAGIC_BITS_X16));
  const lastOff = (groups - 1) << 4;
  for (let i: usize = 0; i < LAG; i++) {
    const src = row + min(i << 4, lastOff);
    v128.store(addrs + (i << 4), i32x4.add(entryOffsets(v128.load(src), sv, cv, bottom, top), bias));
  }
  let s0 = f64x2.splat(0);
  for (let i: usize = 0; i < groups; i++) {
    const off = i << 4;
    // The addresses of group i + LAG (past the end: the last group's again, never used).
    const ahead = row + min(off + (LAG << 4), lastOff);
    v128.store(addrs + off, i32x4.add(entryOffsets(v128.load(ahead), sv, cv, bottom, top), bias), LAG << 4);
    const slot = addrs + off;
    const xv = v128.load(row + off);
    const e0 = v128.load(load<u32>(slot));
    const e1 = v128.load(load<u32>(slot, 4));
    const e2 = v128.load(load<u32>(slot, 8));
    const e3 = v128.load(load<u32>(slot, 12));
    const ta01 = i64x2.shuffle(e0, e1, 1, 3);
    const ta23 = i64x2.shuffle(e2, e3, 1, 3);
    const t = i32x4.shuffle(ta01, ta23, 0, 2, 4, 6);
    const m = f32x4.gt(xv, t);
    let k = i32x4.sub(i32x4.shuffle(ta01, ta23, 1, 3, 5, 7), m);
    if (nOver > 0) {
      const mo = f32x4.gt(xv, o0);
      k = i32x4.add(k, v128.and(mo, w0));
      c0 = i32x4.sub(c0, mo);
    }
    if (nOver > 1) {
      const mo = f32x4.gt(xv, o1);
      k = i32x4.add(k, v128.and(mo, w1));
      c1 = i32x4.sub(c1, mo);
    }
    if (nOver > 2) {
      const mo = f32x4.gt(xv, o2);
      k = i32x4.add(k, v128.and(mo, w2));
      c2 = i32x4.sub(c2, mo);
    }
    if (nOver > 3) {
      const mo = f32x4.gt(xv, o3);
      k = i32x4.add(k, v128.and(mo, w3));
      c3 = i32x4.sub(c3, mo);
    }
    const xl = f64x2.promote_low_f32x4(xv);
    const xh = promoteHigh(xv);
    const kl = f64x2.convert_low_i32x4_s(k);
    const kh = convertHigh(k);
    // k x minus the counted primaries: Q of the bucket plus its threshold where x is above it
    // (the same sum with or without a gradient).
    const tm = v128.and(t, m);
    const ql = f64x2.add(i64x2.shuffle(e0, e1, 0, 2), f64x2.promote_low_f32x4(tm));
    const qh = f64x2.add(i64x2.shuffle(e2, e3, 0, 2), promoteHigh(tm));
    s0 = f64x2.add(s0, f64x2.add(f64x2.sub(f64x2.mul(kl, xl), ql), f64x2.sub(f64x2.mul(kh, xh), qh)));
    if (withGrad) {
      // Histogram of k, one copy per lane (no store-to-load chains between lanes).
      v128.store(ktmp, i32x4.shl(k, 4));
      const h0 = hist + load<u32>(ktmp);
      store<i32>(h0, load<i32>(h0) + 1);
      const h1 = hist + load<u32>(ktmp, 4);
      store<i32>(h1, load<i32>(h1, 4) + 1, 4);
      const h2 = hist + load<u32>(ktmp, 8);
      store<i32>(h2, load<i32>(h2, 8) + 1, 8);
      const h3 = hist + load<u32>(ktmp, 12);
      store<i32>(h3, load<i32>(h3, 12) + 1, 12);
      v128.store(grow + off, gradientLanes(kl, kh, gv, scv));
    }
  }
  let sum = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
  // The overflow thresholds below each element: c_o elements times weight times value.
  if (nOver > 0) sum -= overflowSum(over, c0);
  if (nOver > 1) sum -= overflowSum(over + 8, c1);
  if (nOver > 2) sum -= overflowSum(over + 16, c2);
  if (nOver > 3 && overflows > 3) sum -= overflowSum(over + 24, c3);
  return sum;
}

@inline
function overflowSum(entry: usize, counts: v128): f64 {
  const total =
    i32x4.extract_lane(counts, 0) + i32x4.extract_lane(counts, 1) + i32x4.extract_lane(counts, 2) + i32x4.extract_lane(counts, 3);
  return <f64>total * <f64>load<i32>(entry, 4) * <f64>load<f32>(entry);
}
