import { type BackendCapabilities, type ILossBackend, LossBackend } from '@mlml/core-spec';
import { instantiateKernels, MAX_PAGES } from './WasmKernels.js';
import { DEFAULT_SIMD_MAX_TARGETS, WasmLossKernel } from './WasmLossKernel.js';

/** Options of {@link createWasmBackend}; the defaults suit every use. */
export interface WasmBackendOptions {
  /**
   * The most 64 KiB pages the backend's WebAssembly memory may grow to (default and maximum
   * 65536, i.e. 4 GiB). A call that needs more fails with `INPUT_TOO_LARGE`.
   */
  readonly maxMemoryPages?: number;
  /**
   * Largest number of targets per row counted by SIMD compare-and-count; rows with more use
   * sorted thresholds and binary search. Both give identical results; this only tunes speed.
   */
  readonly simdMaxTargets?: number;
}

/**
 * What the wasm backend promises. Decisions (which terms count) are the reference's to the bit,
 * so the gradient is exact: whole counts scaled once, as the reference does. The loss sums the
 * reference's double terms in another order (k·x over elements plus c·a over targets, exact
 * products), so it differs only by double rounding: measured at most 1 ulp of float32; in
 * float64 ~1e-13 relative, offset data (values near 1e6) included, and ~1.4e-12 on a row of
 * 6 million terms, where the reference's own one-by-one sum is that far from exact. The float32
 * forward-only path for J <= 8 adds up to ten positive float32 terms per lane first
 * (<= 11 * 2^-24 relative). The declared tolerances cover these with a margin.
 */
export const WASM_CAPABILITIES: BackendCapabilities = {
  dtypes: ['float32', 'float64'],
  tolerance: {
    float32: { rtol: 1e-6, atol: 1e-35 },
    float64: { rtol: 1e-10, atol: 1e-300 },
  },
  deterministic: true,
};

/**
 * Creates the `'wasm'` backend: AssemblyScript kernels compiled to WebAssembly with 128-bit SIMD,
 * embedded in the package (no file to serve, no bundler setting). Rejects with a `LossError`
 * (`BACKEND_UNAVAILABLE`) where WebAssembly SIMD is missing.
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<ILossBackend> {
  const maxPages = Math.min(MAX_PAGES, Math.max(1, Math.floor(options.maxMemoryPages ?? MAX_PAGES)));
  const kernels = await instantiateKernels(maxPages);
  const kernel = new WasmLossKernel(kernels, options.simdMaxTargets ?? DEFAULT_SIMD_MAX_TARGETS);
  return new LossBackend('wasm', WASM_CAPABILITIES, kernel);
}
