// The read-pass limit: reads every byte of input and target once, as SIMD lanes, and returns a
// sum so that the reads cannot be optimised away. Nothing else.

/** Sums n f32 at x and m i32 at t. */
export function readPassF32(x: usize, n: i32, t: usize, m: i32): f64 {
  let a = f32x4.splat(0);
  const nz = <usize>n;
  const g = nz >> 2;
  for (let i: usize = 0; i < g; i++) a = f32x4.add(a, v128.load(x + (i << 4)));
  let s: f64 =
    <f64>f32x4.extract_lane(a, 0) +
    <f64>f32x4.extract_lane(a, 1) +
    <f64>f32x4.extract_lane(a, 2) +
    <f64>f32x4.extract_lane(a, 3);
  for (let i = g << 2; i < nz; i++) s += <f64>load<f32>(x + (i << 2));
  return s + sumTargets(t, m);
}

/** Sums n f64 at x and m i32 at t. */
export function readPassF64(x: usize, n: i32, t: usize, m: i32): f64 {
  let a = f64x2.splat(0);
  const nz = <usize>n;
  const g = nz >> 1;
  for (let i: usize = 0; i < g; i++) a = f64x2.add(a, v128.load(x + (i << 4)));
  let s: f64 = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  for (let i = g << 1; i < nz; i++) s += load<f64>(x + (i << 3));
  return s + sumTargets(t, m);
}

function sumTargets(t: usize, m: i32): f64 {
  let a = i32x4.splat(0);
  const mz = <usize>m;
  const g = mz >> 2;
  for (let i: usize = 0; i < g; i++) a = i32x4.add(a, v128.load(t + (i << 4)));
  let s: f64 =
    <f64>i32x4.extract_lane(a, 0) +
    <f64>i32x4.extract_lane(a, 1) +
    <f64>i32x4.extract_lane(a, 2) +
    <f64>i32x4.extract_lane(a, 3);
  for (let i = g << 2; i < mz; i++) s += <f64>load<i32>(t + (i << 2));
  return s;
}
