// One call per chunk of a job: the target range check of validation and the loss rows, on the
// chunk the calling thread (host or worker) holds.

import { lossRows } from './rows';
import { findTargetOutOfRange } from './targetCheck';

/**
 * Rows [from, from + count) of a job whose arrays start at x, t, sums, grad (0: none) and
 * scales (0: none). First checks the rows' targets: if one is outside [-1, c - 1], returns the
 * index (counted from t) of the first and computes nothing, so the kernels never index with it;
 * else computes the rows and returns -1.
 */
export function jobRows<T>(
  x: usize,
  t: usize,
  from: i32,
  count: i32,
  c: i32,
  sums: usize,
  grad: usize,
  scales: usize,
  g: f64,
  scratch: usize,
  simdMax: i32,
): i32 {
  const offset = <usize>from * <usize>c;
  const rowTargets = t + (offset << 2);
  const bad = findTargetOutOfRange(rowTargets, count * c, c);
  if (bad >= 0) return <i32>offset + bad;
  const rowSums = sums + (<usize>from << 3);
  const rowGrad: usize = grad == 0 ? 0 : grad + offset * sizeof<T>();
  const rowScales: usize = scales == 0 ? 0 : scales + (<usize>from << 3);
  lossRows<T>(x + offset * sizeof<T>(), rowTargets, count, c, rowSums, rowGrad, rowScales, g, scratch, simdMax);
  return -1;
}
