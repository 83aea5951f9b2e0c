import {
  type BackendCapabilities,
  type ILossBackend,
  LossBackend,
  type LossKernel,
  referenceBackward,
  referenceForward,
} from '@mlml/core-spec';

/** The core-spec reference (DESIGN §2's executable definition) as a {@link LossKernel}. */
export const referenceKernel: LossKernel = {
  forward: (problem) => referenceForward(problem),
  backward: (problem) => referenceBackward(problem),
  forwardBackward: (problem) => ({
    output: referenceForward(problem),
    gradInput: referenceBackward(problem),
  }),
};

/** What the reference backend declares: both dtypes, at the suite's limits. */
export const REFERENCE_CAPABILITIES: BackendCapabilities = {
  dtypes: ['float32', 'float64'],
  tolerance: { float32: { rtol: 1e-5, atol: 1e-35 }, float64: { rtol: 1e-10, atol: 1e-300 } },
  deterministic: true,
};

/**
 * The reference as a backend named `reference`: the oracle of the property tests and the
 * suite's own sanity check (it must pass every golden file). Slow (O(N·J·C)); not for real use.
 */
export function createReferenceBackend(name = 'reference'): ILossBackend {
  return new LossBackend(name, REFERENCE_CAPABILITIES, referenceKernel);
}
