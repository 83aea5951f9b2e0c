// Entry point of the mlml wasm module. The host owns the memory layout: it copies inputs to
// addresses at or above heapBase() and passes pointers.

import { jobRows } from './jobRows';
import { scratchBytes as scratchSize } from './scratch';

export { readPassF32, readPassF64 } from './readPass';

/** First free byte after the module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * Scratch bytes the kernels need for rows of c classes, computed in 64 bits and returned as a
 * double (exact below 2^53): the host checks it against the memory before forming any 32-bit
 * offset, so a huge c cannot wrap it into a small number.
 */
export function scratchBytes(c: f64): f64 {
  return <f64>scratchSize<u64>(<u64>c);
}

/**
 * Rows [from, from + count) of an f32 job: -1 once their loss (and gradient when grad != 0) is
 * computed, or the index from t of their first target outside [-1, c - 1] (nothing computed).
 */
export function lossRowsF32(
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
  return jobRows<f32>(x, t, from, count, c, sums, grad, scales, g, scratch, simdMax);
}

/** As lossRowsF32, for f64 input. */
export function lossRowsF64(
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
  return jobRows<f64>(x, t, from, count, c, sums, grad, scales, g, scratch, simdMax);
}
