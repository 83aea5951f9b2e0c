import { LossBackend } from './LossBackend.js';
import { referenceBackward, referenceForward } from './reference.js';
import type { ILossBackend } from './types.js';

/**
 * The reference loops as a backend (name `'reference'`): slow, exact, and the oracle that tests,
 * the conformance suite and the bench compare real backends with. Not registered by default.
 */
export function createReferenceBackend(): ILossBackend {
  return new LossBackend(
    'reference',
    {
      dtypes: ['float32', 'float64'],
      // Exact up to summation order; PyTorch's own float32 gradient accumulation is looser.
      tolerance: { float32: { rtol: 2e-6, atol: 0 }, float64: { rtol: 1e-12, atol: 0 } },
      deterministic: true,
    },
    {
      forward: (problem) => referenceForward(problem),
      backward: (problem) => referenceBackward(problem),
      forwardBackward: (problem) => ({
        output: referenceForward(problem),
        gradInput: referenceBackward(problem),
      }),
    },
  );
}
