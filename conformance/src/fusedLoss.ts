import type { FloatArray, Tensor } from '@mlml/core-spec';
import type { Difference } from './tolerance.js';

/**
 * Checks that a fused call's loss (`forwardBackward`) is `forward`'s loss bit for bit: the same
 * values (NaN meets NaN, and +0 and -0 are told apart), so that a training loop switching between
 * the two never sees its loss change. Returns undefined when they agree, or when either result is
 * not a tensor (other checks report that).
 */
export function fusedLossDifference(
  call: string,
  forward: Tensor<FloatArray> | undefined,
  fused: Tensor<FloatArray> | undefined,
): Difference | undefined {
  const a = forward?.data;
  const b = fused?.data;
  if (a === undefined || b === undefined || typeof a.length !== 'number' || typeof b?.length !== 'number') {
    return undefined;
  }
  if (a.length !== b.length) return undefined; // a shape difference, reported by the value checks
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)))) {
      return {
        call,
        tensor: 'output',
        message: `output[${i}] is ${y}, but forward gave ${x}: the fused loss must be forward's bit for bit`,
        index: i,
        expected: x,
        actual: y,
        reference: 'forward',
      };
    }
  }
  return undefined;
}
