// The target range check of validation, in SIMD: index of the first value outside [-1, c - 1].

/** Index of the first of n i32 at t outside [-1, c - 1], or -1 if none. */
export function findTargetOutOfRange(t: usize, n: i32, c: i32): i32 {
  const nz = <usize>n;
  // v in [-1, c - 1] iff v + 1 in [0, c] as unsigned: one add and one unsigned compare.
  const one = i32x4.splat(1);
  const hi = i32x4.splat(c);
  const block: usize = 64;
  const groups = nz >> 2;
  let i: usize = 0;
  while (i < groups) {
    const end = min<usize>(groups, i + block);
    let bad = i32x4.splat(0);
    for (let k = i; k < end; k++) {
      const v = v128.load(t + (k << 4));
      bad = v128.or(bad, i32x4.gt_u(i32x4.add(v, one), hi));
    }
    if (v128.any_true(bad)) return scalarFind(t, i << 2, end << 2, c);
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
