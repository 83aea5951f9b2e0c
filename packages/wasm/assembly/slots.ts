// Slotted bucket rank (f32, many targets, sorted thresholds): the fallback for rows whose
// thresholds crowd the table of buckets.ts (hundreds of targets, or clusters). Buckets (four per
// threshold) hold at most MAX_SLOTS thresholds each: k = base[b] + #(thresholds in bucket b
// below x), where b = idx(x) is a monotone float-to-int map, so thresholds in lower buckets are
// below x and those in higher buckets above it. Rows with fuller buckets are left to binary
// search. Four lanes at a time; bases and slots are gathered lane by lane.

import { convertHigh, gather4, gradientLanes, promoteHigh } from './lanes';

const MAX_SLOTS = 3;
/** Whether the last slotCount call did the row (else the caller must). */
let used = false;

/** Whether the last {@link slotCount} did the row. */
export function slotUsed(): bool {
  return used;
}

/** Table bytes for rows of c classes. */
export function slotTableBytes<N>(c: N): N {
  return <N>16 * (<N>4 * c + <N>4);
}

/**
 * The row through the slotted table, if its buckets are not too full (see {@link slotUsed}).
 * Forward only (`grow` 0): returns the hinge sum, with Q (prefix sums of the sorted thresholds)
 * in `hist`'s place and no counts. With a gradient: returns sum_d k_d x_d, the histogram of k in
 * `hist` (four interleaved copies) and the gradient k * g * scale.
 */
export function slotCount(
  row: usize,
  c: i32,
  jv: i32,
  sorted: usize,
  sortedSize: i32,
  hist: usize,
  table: usize,
  grow: usize,
  g: f64,
  scale: f64,
): f64 {
  used = false;
  const lo = load<f32>(sorted);
  const hi = load<f32>(sorted + (<usize>(jv - 1) << 2));
  const buckets = 4 * jv;
  const s: f32 = <f32>buckets / (hi - lo);
  if (!(hi > lo) || !isFinite<f32>(lo) || !isFinite<f32>(hi) || !isFinite<f32>(s) || !(s > 0)) return 0;
  const entries = <usize>(buckets + 2);
  const base = table;
  const slots = table + (entries << 2);
  // Each threshold's bucket, with exactly the lane arithmetic used below.
  memory.fill(base, 0, entries << 2);
  let maxOcc = 0;
  for (let i = 0; i < jv; i++) {
    const b = bucketOf(load<f32>(sorted + (<usize>i << 2)), lo, s, buckets);
    const occ = load<i32>(base + (<usize>b << 2)) + 1;
    store<i32>(base + (<usize>b << 2), occ);
    if (occ > maxOcc) maxOcc = occ;
  }
  if (maxOcc > MAX_SLOTS) return 0;
  // Occupancy -> base counts (exclusive prefix sums) and slots.
  for (let r = 0; r < maxOcc; r++) {
    const slot = slots + (<usize>r * entries << 2);
    for (let b: usize = 0; b < entries; b++) store<f32>(slot + (b << 2), Infinity);
  }
  let running = 0;
  for (let b: usize = 0; b < entries; b++) {
    const occ = load<i32>(base + (b << 2));
    store<i32>(base + (b << 2), running);
    for (let r = 0; r < occ; r++) {
      store<f32>(slots + ((<usize>r * entries + b) << 2), load<f32>(sorted + (<usize>(running + r) << 2)));
    }
    running += occ;
  }
  used = true;
  // Forward only: Q[k] = sum of the k smallest thresholds (f64), in the histogram's place.
  const qsum = hist;
  if (grow == 0) {
    let q: f64 = 0;
    store<f64>(qsum, 0);
    for (let i = 0; i < jv; i++) {
      q += <f64>load<f32>(sorted + (<usize>i << 2));
      store<f64>(qsum + (<usize>(i + 1) << 3), q);
    }
  }

  const lov = f32x4.splat(lo);
  const sv = f32x4.splat(s);
  const topv = i32x4.splat(buckets);
  const minusOne = i32x4.splat(-1);
  const one = i32x4.splat(1);
  const gv = f64x2.splat(g);
  const scv = f64x2.splat(scale);
  const slot1 = slots + (entries << 2);
  const slot2 = slots + (entries << 3);
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  const groups = <usize>(c >> 2);
  for (let i: usize = 0; i < groups; i++) {
    const off = i << 4;
    const xv = v128.load(row + off);
    let bi = i32x4.trunc_sat_f32x4_s(f32x4.mul(f32x4.sub(xv, lov), sv));
    bi = i32x4.add(i32x4.max_s(i32x4.min_s(bi, topv), minusOne), one);
    const a0 = <usize>i32x4.extract_lane(bi, 0) << 2;
    const a1 = <usize>i32x4.extract_lane(bi, 1) << 2;
    const a2 = <usize>i32x4.extract_lane(bi, 2) << 2;
    const a3 = <usize>i32x4.extract_lane(bi, 3) << 2;
    let k = gather4(base, a0, a1, a2, a3);
    k = i32x4.sub(k, f32x4.gt(xv, gather4(slots, a0, a1, a2, a3)));
    if (maxOcc > 1) {
      k = i32x4.sub(k, f32x4.gt(xv, gather4(slot1, a0, a1, a2, a3)));
      if (maxOcc > 2) k = i32x4.sub(k, f32x4.gt(xv, gather4(slot2, a0, a1, a2, a3)));
    }
    const xl = f64x2.promote_low_f32x4(xv);
    const xh = promoteHigh(xv);
    const kl = f64x2.convert_low_i32x4_s(k);
    const kh = convertHigh(k);
    s0 = f64x2.add(s0, f64x2.mul(kl, xl));
    s1 = f64x2.add(s1, f64x2.mul(kh, xh));
    if (grow == 0) {
      // Forward only: the k thresholds below x sum to Q[k]; no counts needed.
      let q01 = v128.load64_zero(qsum + (<usize>i32x4.extract_lane(k, 0) << 3));
      q01 = v128.load64_lane(qsum + (<usize>i32x4.extract_lane(k, 1) << 3), q01, 1);
      let q23 = v128.load64_zero(qsum + (<usize>i32x4.extract_lane(k, 2) << 3));
      q23 = v128.load64_lane(qsum + (<usize>i32x4.extract_lane(k, 3) << 3), q23, 1);
      s0 = f64x2.sub(s0, q01);
      s1 = f64x2.sub(s1, q23);
    } else {
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
  let sum = f64x2.extract_lane(sv2, 0) + f64x2.extract_lane(sv2, 1);
  for (let d = <usize>(groups << 2); d < <usize>c; d++) {
    const xv = load<f32>(row + (d << 2));
    const k = rankOf(sorted, sortedSize, xv);
    const kf = <f64>k;
    sum += kf * <f64>xv;
    if (grow == 0) {
      sum -= load<f64>(qsum + (<usize>k << 3));
    } else {
      const hk = hist + (<usize>k << 4);
      store<i32>(hk, load<i32>(hk) + 1);
    }
    if (grow != 0) store<f32>(grow + (d << 2), <f32>((kf * g) * scale));
  }
  return sum;
}

/** The bucket of a threshold: the same arithmetic as the SIMD lanes of slotCount. */
function bucketOf(t: f32, lo: f32, s: f32, buckets: i32): i32 {
  const v = i32x4.trunc_sat_f32x4_s(f32x4.mul(f32x4.sub(f32x4.splat(t), f32x4.splat(lo)), f32x4.splat(s)));
  const clamped = i32x4.max_s(i32x4.min_s(v, i32x4.splat(buckets)), i32x4.splat(-1));
  return i32x4.extract_lane(clamped, 0) + 1;
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
