import { type BackendCapabilities, type ILossBackend, LossBackend } from '@mlml/core-spec';
import { CpuTsKernel } from './CpuTsKernel.js';

/** The name the backend is registered under. */
export const CPU_TS_BACKEND_NAME = 'cpu-ts';

/**
 * What 'cpu-ts' promises. Margin decisions, counts and gradients are exact (the gradient is
 * bit-identical to the reference); the loss differs from the reference only in rounding: float32
 * terms are summed exactly instead of being rounded to float32 one by one (at most 2^-24 relative)
 * and the result is rounded once; float64 sums have no cancellation, so their relative error is a
 * few units of 2^-53 times the row length.
 */
export const CPU_TS_CAPABILITIES: BackendCapabilities = {
  dtypes: ['float32', 'float64'],
  tolerance: {
    float32: { rtol: 1e-6, atol: 0 },
    float64: { rtol: 1e-12, atol: 0 },
  },
  deterministic: true,
};

/** Creates the 'cpu-ts' backend: the fast pure-TypeScript kernel behind the shared validation. */
export function createCpuTsBackend(): ILossBackend {
  return new LossBackend(CPU_TS_BACKEND_NAME, CPU_TS_CAPABILITIES, new CpuTsKernel());
}
