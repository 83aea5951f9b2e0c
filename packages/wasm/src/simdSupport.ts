/**
 * The smallest module that uses a 128-bit SIMD instruction (`i8x16.splat`, `i8x16.popcnt`):
 * it validates exactly where WebAssembly SIMD is supported.
 */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98,
  11,
]);

/** Whether this JavaScript engine runs WebAssembly with 128-bit SIMD (the kernels need it). */
export function hasWasmSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}
