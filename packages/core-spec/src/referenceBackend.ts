import { LossBackend } from './LossBackend.js';
import type { LossKernel } from './LossKernel.js';
import { referenceBackward, referenceForward } from './reference.js';
import type { BackendCapabilities, ILossBackend } from './types.js';

/** The reference loops (DESIGN §2's executable definition) as a {@link LossKernel}. */
export const referenceKernel: LossKernel = {
  forward: (problem) => referenceForward(problem),
  backward: (problem) => referenceBackward(problem),
  forwardBackward: (problem) => ({
    output: referenceForward(problem),
    gradInput: referenceBackward(problem),
  }),
};

/** What the reference backend declares: both dtypes, at the conformance suite's limits. */
export const REFERENCE_CAPABILITIES: BackendCapabilities = {
  dtypes: ['float32', 'float64'],
  tolerance: { float32: { rtol: 1e-5, atol: 1e-35 }, float64: { rtol: 1e-10, atol: 1e-300 } },
  deterministic: true,
};

/**
 * The reference as a backend (default name `'reference'`): slow (O(N·J·C)), exact, and the
 * oracle that tests, the conformance suite and the bench compare real backends with. Not
 * registered by default.
 */
export function createReferenceBackend(name = 'reference'): ILossBackend {
  return new LossBackend(name, REFERENCE_CAPABILITIES, referenceKernel);
}
