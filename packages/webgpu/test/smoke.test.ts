import { referenceBackward, referenceForward, validateBackward } from '@mlml/core-spec';
import { expect, it } from 'vitest';
import { createWebGpuBackend } from '../src/index.ts';

it('smoke', async () => {
  const b = await createWebGpuBackend();
  try {
    const input = { data: new Float32Array([0.1, 0.2, 0.4, 0.8]), shape: [1, 4] };
    const target = { data: new Int32Array([3, 0, -1, 1]), shape: [1, 4] };
    const out = await b.forward(input, target);
    const r = await b.forwardBackward(input, target);
    console.log(out, r);
    const p = validateBackward(
      input,
      target,
      { data: new Float32Array([1]), shape: [] },
      {},
      { backend: 'x', dtypes: ['float32'], disposed: false },
    );
    console.log(referenceForward(p), referenceBackward(p));
    expect(out.data[0]).toBeCloseTo(0.85, 6);
  } finally {
    await b.dispose();
  }
});
