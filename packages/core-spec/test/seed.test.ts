import { describe, expect, it } from 'vitest';
import { referenceBackward, referenceForward, validateBackward, validateForward } from '../src/index.js';

describe('reference', () => {
  it('computes the seed example', () => {
    const input = { data: new Float32Array([0.1, 0.2, 0.4, 0.8]), shape: [1, 4] };
    const target = { data: new Int32Array([3, 0, -1, 1]), shape: [1, 4] };
    const out = referenceForward(validateForward(input, target, {}));
    expect(out[0]).toBeCloseTo(0.85, 6);
    const grad = referenceBackward(
      validateBackward(input, target, { data: new Float32Array([1]), shape: [] }, {}),
    );
    expect(Array.from(grad)).toEqual([-0.5, 0.5, 0.5, -0.5].map(Math.fround));
  });
});
