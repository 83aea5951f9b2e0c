// Slotted bucket rank (f32, many targets, sorted distinct thresholds): the fallback for rows
// whose thresholds crowd the table of buckets.ts (hundreds of targets, ties, or clusters).
// Buckets (BUCKETS_PER_VALUE per distinct value) hold at most MAX_SLOTS values each, in one
// 16-byte entry with the bucket's base rank: the
// distinct rank r = base[b] + #(values in bucket b below x), where b = idx(x) is a monotone
// float-to-int map, so values in lower buckets are below x and those in higher buckets above it.
// Rows with fuller buckets are left to binary search. Four lanes at a time: one 128-bit load
// per lane, then a transpose.

import { convertHigh, gather4, gradientLanes, promoteHigh } from './lanes';

const MAX_SLOTS = 3;
/** 2^23: a value in [2^23, 2^24) is an integer whose f32 bits are 0x4B000000 + that integer. */
const MAGIC: f32 = 8388608.0;
/** The bits of MAGIC. */
const MAGIC_BITS: u32 = 0x4b000000;
/** The most buckets a table may have (so that MAGIC + buckets stays below 2^24). */
const MAX_BUCKETS: i32 = 1 << 22;
/** Groups by which the entry addresses are computed ahead of their loads. */
const LAG: usize = 4;
/** Bytes of the address buffer a pass over c classes needs (`addrs` of slotCount). */
export function slotAddressBytes<N>(c: N): N {
  return <N>4 * c + <N>(16 * LAG + 16);
}
/** Whether the last slotCount call did the row (else the caller must). */
let used = false;

/** Whether the last {@link slotCount} did the row. */
export function slotUsed(): bool {
  return used;
}

/** Table bytes for rows of c classes: 16-byte entries for up to 4c + 2 buckets. */
export function slotTableBytes<N>(c: N): N {
  return <N>16 * (<N>4 * c + <N>4);
}

/** Buckets per distinct threshold value (fewer when the table's room, 4c + 2 buckets, is short). */
const BUCKETS_PER_VALUE = 16;

/**
 * The row through the slotted table, if its buckets are not too full (see {@link slotUsed}).
 * The table is built over the `nd` distinct threshold values `dv` (ascending; `cum[r]` thresholds
 * are below dv[r], `qd[r]` is their sum), so ties cost nothing: an element's distinct rank r
 * (values below it) comes from its bucket and slots, then k = cum[r] (with ties) and the sum of
 * the thresholds below it is qd[r]. Returns the whole hinge sum, sum_d (k_d x_d - qd[r_d]), the
 * same with or without a gradient. With a gradient (`grow` != 0) also leaves the histogram of k
 * in `hist` (four interleaved copies) and the gradient k * g * scale.
 */
export function slotCount(
  row: usize,
  c: i32,
  jv: i32,
  nd: i32,
  dv: usize,
  cum: usize,
  qd: usize,
  sorted: usize,
  sortedSize: i32,
  hist: usize,
  table: usize,
  addrs: usize,
  grow: usize,
  g: f64,
  scale: f64,
): f64 {
  used = false;
  if (nd < 2) return 0;
  const lo = load<f32>(dv);
  const hi = load<f32>(dv + (<usize>(nd - 1) << 2));
  const buckets = min(min(BUCKETS_PER_VALUE * nd, 4 * c), MAX_BUCKETS);
  // The map y = clamp(fl(fl(x * s) + m), 2^23, 2^23 + buckets) in f32, monotone, so bucket order
  // agrees with value order; y's bits give the bucket (as in buckets.ts).
  const s: f32 = <f32>buckets / (hi - lo);
  const m: f32 = MAGIC - lo * s;
  const top: f32 = MAGIC + <f32>buckets;
  if (!(hi > lo) || !isFinite<f32>(lo) || !isFinite<f32>(hi) || !isFinite<f32>(s) || !(s > 0) || !isFinite<f32>(m)) {
    return 0;
  }
  const entries = <usize>(buckets + 2);
  // Entry b (16 bytes): the distinct values in lower buckets (i32), then up to three slots, the
  // bucket's values ascending, padded with +inf: one 128-bit load per lane fetches all four.
  // The map is monotone, so each bucket's values are consecutive in dv: one pass over the
  // entries, each written once.
  const inf = f32x4.splat(Infinity);
  let maxOcc = 0;
  let i = 0;
  let nextBucket = <usize>bucketOf(load<f32>(dv), s, m, top);
  for (let b: usize = 0; b < entries; b++) {
    let e = i32x4.replace_lane(inf, 0, i);
    if (b == nextBucket) {
      let occ = 0;
      while (i < nd && nextBucket == b) {
        if (occ == MAX_SLOTS) return 0;
        const v = load<f32>(dv + (<usize>i << 2));
        if (occ == 0) e = f32x4.replace_lane(e, 1, v);
        else if (occ == 1) e = f32x4.replace_lane(e, 2, v);
        else e = f32x4.replace_lane(e, 3, v);
        occ++;
        i++;
        nextBucket = i < nd ? <usize>bucketOf(load<f32>(dv + (<usize>i << 2)), s, m, top) : entries;
      }
      if (occ > maxOcc) maxOcc = occ;
    }
    v128.store(table + (b << 4), e);
  }
  used = true;
  const ties = nd < jv;
  let sum: f64 = 0;
  // Each call is a specialisation (constant flags) of the inlined pass.
  if (grow != 0) {
    if (ties) sum = slotPass(row, c, s, m, top, table, addrs, maxOcc, cum, qd, hist, true, true, grow, g, scale);
    else sum = slotPass(row, c, s, m, top, table, addrs, maxOcc, cum, qd, hist, false, true, grow, g, scale);
  } else {
    if (ties) sum = slotPass(row, c, s, m, top, table, addrs, maxOcc, cum, qd, hist, true, false, grow, g, scale);
    else sum = slotPass(row, c, s, m, top, table, addrs, maxOcc, cum, qd, hist, false, false, grow, g, scale);
  }
  const groups = <usize>(c >> 2);
  for (let d = <usize>(groups << 2); d < <usize>c; d++) {
    const xv = load<f32>(row + (d << 2));
    const k = rankOf(sorted, sortedSize, xv);
    // The distinct rank: values below x (k counts thresholds with multiplicity).
    const r = distinctRank(dv, nd, xv);
    const kf = <f64>k;
    sum += kf * <f64>xv - load<f64>(qd + (<usize>r << 3));
    if (grow != 0) {
      const hk = hist + (<usize>k << 4);
      store<i32>(hk, load<i32>(hk) + 1);
      store<f32>(grow + (d << 2), <f32>((kf * g) * scale));
    }
  }
  return sum;
}

@inline
function slotPass(
  row: usize,
  c: i32,
  s: f32,
  m: f32,
  top: f32,
  table: usize,
  addrs: usize,
  maxOcc: i32,
  cum: usize,
  qd: usize,
  hist: usize,
  ties: bool,
  withGrad: bool,
  grow: usize,
  g: f64,
  scale: f64,
): f64 {
  const sv = f32x4.splat(s);
  const mv = f32x4.splat(m);
  const bottom = f32x4.splat(MAGIC);
  const topv = f32x4.splat(top);
  // Entry address = table + 16 * (bits - MAGIC_BITS), in wrapping 32-bit arithmetic.
  const bias = i32x4.splat(<i32>(<u32>table - (MAGIC_BITS << 4)));
  const gv = f64x2.splat(g);
  const scv = f64x2.splat(scale);
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  const groups = <usize>(c >> 2);
  if (groups == 0) return 0;
  // The entry addresses of group i + LAG are computed (and parked in memory) ahead of the loads
  // of group i, which then take them as plain integers.
  const lastOff = (groups - 1) << 4;
  for (let i: usize = 0; i < LAG; i++) {
    const src = row + min(i << 4, lastOff);
    v128.store(addrs + (i << 4), i32x4.add(entryOffsets(v128.load(src), sv, mv, bottom, topv), bias));
  }
  for (let i: usize = 0; i < groups; i++) {
    const off = i << 4;
    const ahead = row + min(off + (LAG << 4), lastOff);
    v128.store(addrs + off, i32x4.add(entryOffsets(v128.load(ahead), sv, mv, bottom, topv), bias), LAG << 4);
    const xv = v128.load(row + off);
    const slot = addrs + off;
    const e0 = v128.load(load<u32>(slot));
    const e1 = v128.load(load<u32>(slot, 4));
    const e2 = v128.load(load<u32>(slot, 8));
    const e3 = v128.load(load<u32>(slot, 12));
    // Transpose: lane i of field f is field f of entry i.
    const lo01 = i32x4.shuffle(e0, e1, 0, 4, 1, 5);
    const lo23 = i32x4.shuffle(e2, e3, 0, 4, 1, 5);
    let r = i64x2.shuffle(lo01, lo23, 0, 2);
    r = i32x4.sub(r, f32x4.gt(xv, i64x2.shuffle(lo01, lo23, 1, 3)));
    if (maxOcc > 1) {
      const hi01 = i32x4.shuffle(e0, e1, 2, 6, 3, 7);
      const hi23 = i32x4.shuffle(e2, e3, 2, 6, 3, 7);
      r = i32x4.sub(r, f32x4.gt(xv, i64x2.shuffle(hi01, hi23, 0, 2)));
      if (maxOcc > 2) r = i32x4.sub(r, f32x4.gt(xv, i64x2.shuffle(hi01, hi23, 1, 3)));
    }
    const r0 = <usize>i32x4.extract_lane(r, 0);
    const r1 = <usize>i32x4.extract_lane(r, 1);
    const r2 = <usize>i32x4.extract_lane(r, 2);
    const r3 = <usize>i32x4.extract_lane(r, 3);
    const k = ties ? gather4(cum, r0 << 2, r1 << 2, r2 << 2, r3 << 2) : r;
    const xl = f64x2.promote_low_f32x4(xv);
    const xh = promoteHigh(xv);
    const kl = f64x2.convert_low_i32x4_s(k);
    const kh = convertHigh(k);
    // The thresholds below x sum to qd[r].
    let q01 = v128.load64_zero(qd + (r0 << 3));
    q01 = v128.load64_lane(qd + (r1 << 3), q01, 1);
    let q23 = v128.load64_zero(qd + (r2 << 3));
    q23 = v128.load64_lane(qd + (r3 << 3), q23, 1);
    s0 = f64x2.add(s0, f64x2.sub(f64x2.mul(kl, xl), q01));
    s1 = f64x2.add(s1, f64x2.sub(f64x2.mul(kh, xh), q23));
    if (withGrad) {
      // Histogram of k, one copy per lane (no store-to-load chains between lanes).
      const h0 = hist + (<usize>i32x4.extract_lane(k, 0) << 4);
      store<i32>(h0, load<i32>(h0) + 1);
      const h1 = hist + (<usize>i32x4.extract_lane(k, 1) << 4) + 4;
      store<i32>(h1, load<i32>(h1) + 1);
      const h2 = hist + (<usize>i32x4.extract_lane(k, 2) << 4) + 8;
      store<i32>(h2, load<i32>(h2) + 1);
      const h3 = hist + (<usize>i32x4.extract_lane(k, 3) << 4) + 12;
      store<i32>(h3, load<i32>(h3) + 1);
      v128.store(grow + off, gradientLanes(kl, kh, gv, scv));
    }
  }
  const sv2 = f64x2.add(s0, s1);
  return f64x2.extract_lane(sv2, 0) + f64x2.extract_lane(sv2, 1);
}

/** The number of distinct values in `dv` (ascending, nd of them) below x (0 for NaN x). */
function distinctRank(dv: usize, nd: i32, x: f32): i32 {
  let r = 0;
  while (r < nd && load<f32>(dv + (<usize>r << 2)) < x) r++;
  return r;
}

/** 16 times the bucket index plus MAGIC_BITS << 4 (mod 2^32) of four values. */
@inline
function entryOffsets(xv: v128, sv: v128, mv: v128, bottom: v128, top: v128): v128 {
  return i32x4.shl(f32x4.pmin(f32x4.pmax(bottom, f32x4.add(f32x4.mul(xv, sv), mv)), top), 4);
}

/** The bucket of a value: the lane arithmetic of entryOffsets, in scalar f32 (IEEE alike). */
function bucketOf(v: f32, s: f32, m: f32, top: f32): i32 {
  let y = v * s + m;
  y = MAGIC < y ? y : MAGIC;
  y = top < y ? top : y;
  return <i32>(reinterpret<u32>(y) - MAGIC_BITS);
}

/** k = the number of sorted thresholds below x (0 for NaN x); `size` is a power of two. */
@inline
function rankOf(sorted: usize, size: i32, x: f32): i32 {
  let k = 0;
  let step = size >> 1;
  while (step > 0) {
    k += select<i32>(step, 0, load<f32>(sorted + (<usize>(k + step - 1) << 2)) < x);
    step >>= 1;
  }
  return k;
}
