// Entry point of the mlml wasm module. The host owns the memory layout: it copies inputs to
// addresses at or above heapBase() and passes pointers.

import { lossRows } from './rows';
import { scratchBytes as scratchSize } from './scratch';

export { readPassF32, readPassF64 } from './readPass';
export { findTargetOutOfRange } from './targetCheck';

/** First free byte after the module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

/** Scratch bytes the kernels need for rows of c classes. */
export function scratchBytes(c: i32): usize {
  return scratchSize(<usize>c);
}

/** Loss rows (and gradient when grad != 0) for f32 input. */
export function lossRowsF32(
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
  lossRows<f32>(x, t, n, c, sums, grad, scales, g, scratch, simdMax);
}

/** Loss rows (and gradient when grad != 0) for f64 input. */
export function lossRowsF64(
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
  lossRows<f64>(x, t, n, c, sums, grad, scales, g, scratch, simdMax);
}
