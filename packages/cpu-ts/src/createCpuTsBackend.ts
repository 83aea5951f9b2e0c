import { type BackendCapabilities, type ILossBackend, LossBackend } from '@mlml/core-spec';
import { CpuTsKernel } from './CpuTsKernel.js';

/** The name the backend is registered under. */
export const CPU_TS_BACKEND_NAME = 'cpu-ts';

/**
 * What 'cpu-ts' promises against the reference. Margin decisions and counts are exact and the
 * gradient is bit-identical (same `count * g * grad_output` in double, rounded once). The loss is
 * the same double sum of the same terms grouped differently (per class, as
 * `k * (x[d] - t[k-1]) + sum of threshold gaps`, all parts non-negative, so no cancellation): it
 * differs by a few units of 2^-53 per term, which float32's final rounding almost always hides
 * (1e-6 leaves room for a last-bit difference) and float64 shows at ~1e-14 for long rows.
 */
export const CPU_TS_CAPABILITIES: BackendCapabilities = {
  dtypes: ['float32', 'float64'],
  tolerance: {
    float32: { rtol: 1e-6, atol: 1e-38 },
    float64: { rtol: 1e-12, atol: 1e-300 },
  },
  deterministic: true,
};

/** Creates the 'cpu-ts' backend: the fast pure-TypeScript kernel behind the shared validation. */
export function createCpuTsBackend(): ILossBackend {
  return new LossBackend(CPU_TS_BACKEND_NAME, CPU_TS_CAPABILITIES, new CpuTsKernel());
}
