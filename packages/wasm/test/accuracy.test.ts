import { referenceBackward, referenceForward, validateBackward, validateForward } from '@mlml/core-spec';
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

describe('large rows', () => {
  it('agree with the reference for C = 3000 and J up to 2000 (bucket and sorted paths), with duplicates', async () => {
    const backend = await createWasmBackend();
    let seed = 9;
    const rnd = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (const dtype of ['float32', 'float64'] as const) {
      const batch = 3;
      const classes = 3000;
      const x = dtype === 'float32' ? new Float32Array(batch * classes) : new Float64Array(batch * classes);
      for (let i = 0; i < x.length; i++) x[i] = rnd() < 0.01 ? Math.round(rnd() * 4) / 4 : rnd() * 6 - 3;
      const t = new Int32Array(batch * classes).fill(-1);
      const targets = [40, 700, 2000];
      for (let n = 0; n < batch; n++) {
        for (let j = 0; j < targets[n]!; j++) t[n * classes + j] = Math.floor(rnd() * classes * 0.9);
      }
      const input = { data: x, shape: [batch, classes] };
      const target = { data: t, shape: [batch, classes] };
      const go = {
        data: dtype === 'float32' ? new Float32Array([1, -2, 0.5]) : new Float64Array([1, -2, 0.5]),
        shape: [batch],
      };
      const { output, gradInput } = await backend.forwardBackward(input, target, go, { reduction: 'none' });
      const problem = validateBackward(input, target, go, { reduction: 'none' });
      const ref = referenceForward(problem);
      const refGrad = referenceBackward(problem);
      const { rtol } = WASM_CAPABILITIES.tolerance[dtype]!;
      for (let n = 0; n < batch; n++) {
        expect(Math.abs(output.data[n]! - ref[n]!)).toBeLessThanOrEqual(rtol * Math.abs(ref[n]!));
      }
      expect(Array.from(gradInput.data)).toEqual(Array.from(refGrad));
    }
    await backend.dispose();
  });
});
