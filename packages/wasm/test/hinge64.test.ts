import { referenceForward, validateForward } from '@mlml/core-spec';
import { describe, expect, it } from 'vitest';
import { createWasmBackend } from '../src/index.js';
import { random } from './cases.js';

describe('float64 forward with J <= 8 (direct hinge sum)', () => {
  it('equals the reference to 1e-13 for every J from 1 to 9, odd and even C, ties, specials and duplicates', async () => {
    const backend = await createWasmBackend({ threads: 1 });
    const next = random(64);
    const specials = [Number.NaN, Infinity, -Infinity, 1e308, -1e308, 0, -0];
    for (const classes of [1, 2, 7, 64, 301]) {
      for (let targets = 1; targets <= Math.min(9, classes); targets++) {
        const batch = 12;
        const x = new Float64Array(batch * classes);
        for (let i = 0; i < x.length; i++) x[i] = Math.round((next() * 4 - 2) * 8) / 8; // many ties
        const t = new Int32Array(batch * classes).fill(-1);
        for (let n = 0; n < batch; n++) {
          for (let j = 0; j < targets; j++) t[n * classes + j] = Math.floor(next() * classes); // duplicates too
          // Rows 0..6 get one special value each, at a target or not.
          if (n < specials.length) x[n * classes + Math.floor(next() * classes)] = specials[n]!;
        }
        const input = { data: x, shape: [batch, classes] };
        const target = { data: t, shape: [batch, classes] };
        const out = await backend.forward(input, target, { reduction: 'none' });
        const ref = referenceForward(validateForward(input, target, { reduction: 'none' }));
        for (let n = 0; n < batch; n++) {
          const where = `C ${classes} J ${targets} row ${n}`;
          if (Number.isNaN(ref[n]!)) expect(out.data[n], where).toBeNaN();
          else if (!Number.isFinite(ref[n]!)) expect(out.data[n], where).toBe(ref[n]);
          else
            expect(Math.abs(out.data[n]! - ref[n]!), where).toBeLessThanOrEqual(
              1e-13 * Math.abs(ref[n]!) + 1e-300,
            );
        }
      }
    }
    await backend.dispose();
  });
});
