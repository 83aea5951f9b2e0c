import { referenceForward, validateForward } from '@mlml/core-spec';
import { describe, expect, it } from 'vitest';
import { createWasmBackend, WASM_CAPABILITIES } from '../src/index.js';

describe('accuracy of the loss', () => {
  it('stays within the declared tolerance on offset data (values near 1e2..1e6) in both dtypes', async () => {
    const backends = [await createWasmBackend({ simdMaxTargets: 0 }), await createWasmBackend()];
    let seed = 1;
    const rnd = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (const backend of backends) {
      for (const offset of [0, 100, 1e4, 1e6]) {
        for (const dtype of ['float32', 'float64'] as const) {
          for (const targets of [5, 50]) {
            const batch = 8;
            const classes = 500;
            const x =
              dtype === 'float32' ? new Float32Array(batch * classes) : new Float64Array(batch * classes);
            for (let i = 0; i < x.length; i++) x[i] = offset + (rnd() * 2 - 1) * 2;
            const t = new Int32Array(batch * classes).fill(-1);
            for (let n = 0; n < batch; n++) {
              for (let j = 0; j < targets; j++) t[n * classes + j] = Math.floor(rnd() * classes);
            }
            const input = { data: x, shape: [batch, classes] };
            const target = { data: t, shape: [batch, classes] };
            const out = await backend.forward(input, target, { reduction: 'none' });
            const ref = referenceForward(validateForward(input, target, { reduction: 'none' }));
            const { rtol, atol } = WASM_CAPABILITIES.tolerance[dtype]!;
            for (let n = 0; n < batch; n++) {
              expect(
                Math.abs(out.data[n]! - ref[n]!),
                `${dtype} offset ${offset} J ${targets}`,
              ).toBeLessThanOrEqual(atol + rtol * Math.abs(ref[n]!));
            }
          }
        }
      }
      await backend.dispose();
    }
  });
});
