// Rows of few classes (f32, C <= NARROW_MAX_CLASSES) with few targets (1 to 8): the same
// decomposition as rows.ts (S = sum_d k_d x[d] + sum_j c_j a_j), in one small function a row.
// Target positions are left out by a bit mask of the row's targets rather than lowered in the
// row's copy as rows.ts does (a 4-byte store then a 16-byte load of the same group cannot be
// store-forwarded): on rows of ten classes the mask measured about 10% faster. Lanes past the
// row's end (its last partial group of four) are left out the same way: their bits, c to 31, are
// set in the mask, and one table lookup a group gives the lanes kept (KEPT_LANES).
// A row it cannot take (no target or too many, a sum that is not finite or near the f32 range's
// end) is left to the general path: narrowDeclined is set and nothing was written.
// Forward calls run their rows of one or two targets (the common case) through a loop of their
// own, narrowForwardRows, and only the rows it stops at through narrowRow.

import { F32_SUM_GUARD } from './constants';
import { convertHigh, gradientLanes, promoteHigh } from './lanes';

/**
 * Rows of at most this many classes take the narrow path (when their targets allow). Measured
 * (AMD EPYC, Node 20, f32, copy included): at C = 10, J = 2 it takes 29 ns a row where the
 * general path takes 42; at C = 16 the two are even; from C = 32 the general path, which
 * specialises on J and has no masks, is faster at J <= 4 (C = 64, J = 4: 99 against 125 ns),
 * the narrow one only at J = 8 (C = 32: 102 against 116 ns; C = 64: even).
 */
export const NARROW_MAX_CLASSES: i32 = 16;
/** Rows of more targets than this go to the general path. */
export const NARROW_MAX_TARGETS: i32 = 8;

/** Whether the last narrowRow left its row (untouched) to the general path. */
export let narrowDeclined = false;

/**
 * Loss sum of one f32 row of `c` <= NARROW_MAX_CLASSES classes and, if grow != 0, its gradient
 * scaled by g and scale; or, with narrowDeclined set, nothing (row and gradient untouched).
 * th, cnt: scratch of 8 f32 and 8 i32 (16-byte aligned); jmax: the most targets taken (at most
 * NARROW_MAX_TARGETS); outside: the bits of classes c to 31 set (made once per call).
 */
@inline
export function narrowRow(
  row: usize,
  tgt: usize,
  c: i32,
  grow: usize,
  g: f64,
  scale: f64,
  th: usize,
  cnt: usize,
  jmax: i32,
  outside: u32,
): f64 {
  narrowDeclined = true;
  let jn = 0;
  while (jn < c && load<i32>(tgt + (<usize>jn << 2)) >= 0) jn++;
  if (jn == 0 || jn > jmax) return 0;
  let excluded = outside;
  for (let j = 0; j < jn; j++) {
    const y = load<i32>(tgt + (<usize>j << 2));
    store<f32>(th + (<usize>j << 2), -(<f32>1 - load<f32>(row + (<usize>y << 2))));
    excluded |= (<u32>1) << <u32>y;
  }
  // Padded with +inf (which no element is above) to 2, 4 or 8 thresholds.
  const nb = jn <= 2 ? 2 : jn <= 4 ? 4 : 8;
  for (let j = jn; j < nb; j++) store<f32>(th + (<usize>j << 2), Infinity);
  let sum: f64;
  if (grow != 0) {
    if (nb == 2) sum = narrowPass(row, c, excluded, th, cnt, 2, true, grow, g, scale);
    else if (nb == 4) sum = narrowPass(row, c, excluded, th, cnt, 4, true, grow, g, scale);
    else sum = narrowPass(row, c, excluded, th, cnt, 8, true, grow, g, scale);
  } else {
    if (nb == 2) sum = narrowPass(row, c, excluded, th, cnt, 2, false, grow, g, scale);
    else if (nb == 4) sum = narrowPass(row, c, excluded, th, cnt, 4, false, grow, g, scale);
    else sum = narrowPass(row, c, excluded, th, cnt, 8, false, grow, g, scale);
  }
  for (let j = 0; j < jn; j++) {
    const cj = load<i32>(cnt + (<usize>j << 2));
    if (cj != 0) sum += <f64>cj * (0 - <f64>load<f32>(th + (<usize>j << 2)));
  }
  if (!(sum < F32_SUM_GUARD && sum > -F32_SUM_GUARD)) return 0;
  if (grow != 0) {
    // A target position's gradient: minus the counts of every target at that class (duplicates
    // add up), whole numbers, scaled once.
    for (let j = 0; j < jn; j++) {
      const y = load<i32>(tgt + (<usize>j << 2));
      let total = 0;
      for (let i = 0; i < jn; i++) {
        if (load<i32>(tgt + (<usize>i << 2)) == y) total += load<i32>(cnt + (<usize>i << 2));
      }
      store<f32>(grow + (<usize>y << 2), <f32>((<f64>(-total) * g) * scale));
    }
  }
  narrowDeclined = false;
  return sum;
}

/**
 * Forward rows (no gradient) [from, n) of f32 input of `c` <= NARROW_MAX_CLASSES classes, from x,
 * t into sums, while they have one or two targets: their sums as {@link narrowRow} gives them
 * (the same terms added in the same order) with thresholds, target lanes and counts kept in
 * registers, in a loop of its own (few live values: nothing spilled a row). Returns the first row
 * it does not take (n when it took them all); that row is left untouched. `outside`: the bits of
 * classes c to 31 set (lanes past the row's end, left out as targets are).
 * At C = 10, J = 2 this takes about 0.7 of narrowRow's time a row.
 */
export function narrowForwardRows(x: usize, t: usize, from: i32, n: i32, c: i32, sums: usize, outside: u32): i32 {
  const rowBytes = <usize>c << 2;
  let row = x + <usize>from * rowBytes;
  let tgt = t + <usize>from * rowBytes;
  for (let r = from; r < n; r++) {
    const y0 = load<i32>(tgt);
    const y1 = c > 1 ? load<i32>(tgt + 4) : -1;
    if (y0 < 0 || (y1 >= 0 && c > 2 && load<i32>(tgt + 8) >= 0)) return r;
    const sum = forwardUpTo2(row, c, y0, y1, outside);
    // NaN: a sum the decomposition cannot be trusted with (see forwardUpTo2).
    if (sum != sum) return r;
    store<f64>(sums + (<usize>r << 3), sum);
    row += rowBytes;
    tgt += rowBytes;
  }
  return n;
}

/**
 * The sum of a row with targets y0 and, if y1 >= 0, y1, or NaN where narrowRow would decline it
 * (a sum not finite or near the f32 range's end).
 */
@inline
function forwardUpTo2(row: usize, c: i32, y0: i32, y1: i32, outside: u32): f64 {
  const two = y1 >= 0;
  const a0 = <f32>1 - load<f32>(row + (<usize>y0 << 2));
  // A missing second target: threshold +inf, which no element is above.
  const a1 = two ? <f32>1 - load<f32>(row + (<usize>y1 << 2)) : <f32>-Infinity;
  // Lanes left out: the targets' and those past the row's end, by one table lookup a group.
  const excluded = outside | (<u32>1 << <u32>y0) | (two ? <u32>1 << <u32>y1 : 0);
  const t0 = f32x4.splat(-a0);
  const t1 = f32x4.splat(-a1);
  let c0 = i32x4.splat(0);
  let c1 = i32x4.splat(0);
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  const groups = <usize>((c + 3) >> 2);
  for (let i: usize = 0; i < groups; i++) {
    const lanes = v128.load(KEPT_LANES + (<usize>((excluded >> (<u32>i << 2)) & 15) << 4));
    const xv = v128.and(v128.load(row + (i << 4)), lanes);
    const m0 = v128.and(f32x4.gt(xv, t0), lanes);
    const m1 = v128.and(f32x4.gt(xv, t1), lanes);
    c0 = i32x4.sub(c0, m0);
    c1 = i32x4.sub(c1, m1);
    // -k (the masks are -1): the sums of -k x, negated once below, are exactly those of k x.
    const negK = i32x4.add(m0, m1);
    s0 = f64x2.add(s0, f64x2.mul(f64x2.convert_low_i32x4_s(negK), f64x2.promote_low_f32x4(xv)));
    s1 = f64x2.add(s1, f64x2.mul(convertHigh(negK), promoteHigh(xv)));
  }
  const s = f64x2.add(s0, s1);
  // 0 - (not a negation): a sum of +0 stays +0, as the gradient path's sum does.
  let sum = 0 - (f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1));
  // Both counts' lanes summed at once: lane 0 holds c0's sum, lane 2 c1's.
  const pairs = i32x4.add(i32x4.shuffle(c0, c1, 0, 1, 4, 5), i32x4.shuffle(c0, c1, 2, 3, 6, 7));
  const totals = i32x4.add(pairs, i32x4.shuffle(pairs, pairs, 1, 0, 3, 2));
  const n0 = i32x4.extract_lane(totals, 0);
  const n1 = i32x4.extract_lane(totals, 2);
  if (n0 != 0) sum += <f64>n0 * <f64>a0;
  if (n1 != 0) sum += <f64>n1 * <f64>a1;
  return sum < F32_SUM_GUARD && sum > -F32_SUM_GUARD ? sum : NaN;
}

/**
 * sum_d k_d x[d] over the row's non-targets (f64; `targets`: bit d set for a target class d),
 * k_d the number of the `nb` thresholds at `th` below x[d]; the count of non-targets above each
 * threshold into `cnt`; with `withGrad`, k_d g scale into the row's gradient (0 at targets). The last c % 4 elements are a masked group: its load reads up to 12 bytes
 * past the row (the next row, or the slack the host leaves after every region), which the mask
 * discards; its gradient is stored lane by lane.
 */
@inline
function narrowPass(
  row: usize,
  c: i32,
  excluded: u32,
  th: usize,
  cnt: usize,
  nb: i32,
  withGrad: bool,
  grow: usize,
  g: f64,
  scale: f64,
): f64 {
  const t0 = v128.load32_splat(th + 0);
  const t1 = v128.load32_splat(th + 4);
  const t2 = nb > 2 ? v128.load32_splat(th + 8) : f32x4.splat(Infinity);
  const t3 = nb > 2 ? v128.load32_splat(th + 12) : f32x4.splat(Infinity);
  const t4 = nb > 4 ? v128.load32_splat(th + 16) : f32x4.splat(Infinity);
  const t5 = nb > 4 ? v128.load32_splat(th + 20) : f32x4.splat(Infinity);
  const t6 = nb > 4 ? v128.load32_splat(th + 24) : f32x4.splat(Infinity);
  const t7 = nb > 4 ? v128.load32_splat(th + 28) : f32x4.splat(Infinity);
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
  const full = <usize>(c >> 2);
  const rem = c & 3;
  const groups = full + <usize>(rem != 0);
  for (let i: usize = 0; i < groups; i++) {
    const off = i << 4;
    const lanes = v128.load(KEPT_LANES + (<usize>((excluded >> (<u32>i << 2)) & 15) << 4));
    const xv = v128.and(v128.load(row + off), lanes);
    const m0 = v128.and(f32x4.gt(xv, t0), lanes);
    const m1 = v128.and(f32x4.gt(xv, t1), lanes);
    let k = i32x4.add(m0, m1);
    c0 = i32x4.sub(c0, m0);
    c1 = i32x4.sub(c1, m1);
    if (nb > 2) {
      const m2 = v128.and(f32x4.gt(xv, t2), lanes);
      const m3 = v128.and(f32x4.gt(xv, t3), lanes);
      k = i32x4.add(k, i32x4.add(m2, m3));
      c2 = i32x4.sub(c2, m2);
      c3 = i32x4.sub(c3, m3);
    }
    if (nb > 4) {
      const m4 = v128.and(f32x4.gt(xv, t4), lanes);
      const m5 = v128.and(f32x4.gt(xv, t5), lanes);
      const m6 = v128.and(f32x4.gt(xv, t6), lanes);
      const m7 = v128.and(f32x4.gt(xv, t7), lanes);
      k = i32x4.add(k, i32x4.add(i32x4.add(m4, m5), i32x4.add(m6, m7)));
      c4 = i32x4.sub(c4, m4);
      c5 = i32x4.sub(c5, m5);
      c6 = i32x4.sub(c6, m6);
      c7 = i32x4.sub(c7, m7);
    }
    k = i32x4.neg(k);
    const kl = f64x2.convert_low_i32x4_s(k);
    const kh = convertHigh(k);
    s0 = f64x2.add(s0, f64x2.mul(kl, f64x2.promote_low_f32x4(xv)));
    s1 = f64x2.add(s1, f64x2.mul(kh, promoteHigh(xv)));
    if (withGrad) {
      const gl = gradientLanes(kl, kh, gv, sv);
      if (i < full) {
        v128.store(grow + off, gl);
      } else {
        v128.store32_lane(grow + off, gl, 0);
        if (rem > 1) v128.store32_lane(grow + off, gl, 1, 4);
        if (rem > 2) v128.store32_lane(grow + off, gl, 2, 8);
      }
    }
  }
  storeLanes(cnt + 0, c0);
  storeLanes(cnt + 4, c1);
  if (nb > 2) {
    storeLanes(cnt + 8, c2);
    storeLanes(cnt + 12, c3);
  }
  if (nb > 4) {
    storeLanes(cnt + 16, c4);
    storeLanes(cnt + 20, c5);
    storeLanes(cnt + 24, c6);
    storeLanes(cnt + 28, c7);
  }
  const s = f64x2.add(s0, s1);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

/** For each 4-bit pattern of left-out lanes in a group, the lanes (all ones) that are kept. */
const KEPT_LANES = memory.data<i32>([
  -1, -1, -1, -1, 0, -1, -1, -1, -1, 0, -1, -1, 0, 0, -1, -1,
  -1, -1, 0, -1, 0, -1, 0, -1, -1, 0, 0, -1, 0, 0, 0, -1,
  -1, -1, -1, 0, 0, -1, -1, 0, -1, 0, -1, 0, 0, 0, -1, 0,
  -1, -1, 0, 0, 0, -1, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0,
], 16);

/** The sum of the four lanes of `v`, stored at p. */
@inline
function storeLanes(p: usize, v: v128): void {
  store<i32>(p, laneSum(v));
}

/** The sum of the four i32 lanes of `v`. */
@inline
function laneSum(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}
