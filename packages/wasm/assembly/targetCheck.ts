// The target range check of validation, in SIMD: index of the first value outside [-1, c - 1].

/** Index of the first of n i32 at t outside [-1, c - 1], or -1 if none. */
export function findTargetOutOfRange(t: usize, n: i32, c: i32): i32 {
  const nz = <usize>n;
  // Blocks of 1024 values keep running minima and maxima (two independent pairs, so that no
  // instruction waits on the one before); only a block that strays is searched value by value.
  const block: usize = 256;
  const groups = nz >> 2;
  const lowest = i32x4.splat(-1);
  const highest = i32x4.splat(c - 1);
  let i: usize = 0;
  while (i < groups) {
    const end = min<usize>(groups, i + block);
    let lo0 = lowest;
    let hi0 = lowest;
    let lo1 = lowest;
    let hi1 = lowest;
    let k = i;
    for (; k + 1 < end; k += 2) {
      const a = v128.load(t + (k << 4));
      const b = v128.load(t + (k << 4), 16);
      lo0 = i32x4.min_s(lo0, a);
      hi0 = i32x4.max_s(hi0, a);
      lo1 = i32x4.min_s(lo1, b);
      hi1 = i32x4.max_s(hi1, b);
    }
    if (k < end) {
      const a = v128.load(t + (k << 4));
      lo0 = i32x4.min_s(lo0, a);
      hi0 = i32x4.max_s(hi0, a);
    }
    const below = i32x4.lt_s(i32x4.min_s(lo0, lo1), lowest);
    const above = i32x4.gt_s(i32x4.max_s(hi0, hi1), highest);
    if (v128.any_true(v128.or(below, above))) return scalarFind(t, i << 2, end << 2, c);
    i = end;
  }
  return scalarFind(t, groups << 2, nz, c);
}

function scalarFind(t: usize, from: usize, to: usize, c: i32): i32 {
  for (let i = from; i < to; i++) {
    const v = load<i32>(t + (i << 2));
    if (v < -1 || v >= c) return <i32>i;
  }
  return -1;
}
