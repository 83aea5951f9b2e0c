// @ts-check
import { LossBackend } from '@mlml/core-spec';
import { naiveKernel } from './naiveKernel.js';

/** @import { BackendCapabilities, ILossBackend } from '@mlml/core-spec' */

/** The name the backend is registered and reported under. */
export const NAIVE_BACKEND_NAME = 'naive';

/**
 * What the backend promises. `tolerance` is how far from the exact values (DESIGN §2) its results
 * may be, relative to each sample's scale: it sums in double and rounds once, so it is exact to
 * the last bit or two: 1e-6 (float32) and 1e-12 (float64). The suite never accepts more than 1e-5
 * and 1e-10. Declare only the dtypes you implement: the others are rejected with UNSUPPORTED_DTYPE.
 * @type {BackendCapabilities}
 */
export const NAIVE_CAPABILITIES = {
  dtypes: ['float32', 'float64'],
  tolerance: { float32: { rtol: 1e-6, atol: 1e-38 }, float64: { rtol: 1e-12, atol: 1e-300 } },
  deterministic: true,
};

/**
 * The backend: the shared validation and lifecycle of LossBackend around the naive kernel.
 * @returns {ILossBackend}
 */
export function createNaiveBackend() {
  return new LossBackend(NAIVE_BACKEND_NAME, NAIVE_CAPABILITIES, naiveKernel);
}
