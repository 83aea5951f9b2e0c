import { isLossError, LossError } from '@mlml/core-spec';
import { describe, expect, it } from 'vitest';
import { createWasmBackend } from '../src/index.js';
import { instantiateKernels, MAX_PAGES, PAGE_BYTES } from '../src/WasmKernels.js';

// Rows of tens of millions of classes. The caller's arrays are fresh (zero pages the OS has not
// backed yet) and, once the size check rejects the call, never copied: the tests touch almost
// no memory. Before the size arithmetic was done in doubles, a row of 40 million classes wrapped
// its scratch size (about 125 bytes per class) past 2^32 and ran the kernels on a scratch area
// too small: a raw `RuntimeError: memory access out of bounds`, or numbers.

/** The rejection of `call`, or a failure naming what it resolved to. */
async function rejection(call: Promise<unknown>): Promise<unknown> {
  try {
    const value = await call;
    return new Error(`resolved to ${JSON.stringify(value)}`);
  } catch (error) {
    return error;
  }
}

describe('size arithmetic', () => {
  it('reports the scratch size in 64 bits: at least 125 bytes a class, past 2^32 and 2^31 classes', async () => {
    const kernels = await instantiateKernels(1);
    for (const c of [1, 1000, 34_000_000, 34_400_000, 40_000_000, 2 ** 31 + 5, 3e9]) {
      const bytes = kernels.exports.scratchBytes(c);
      // The layout's parts (see assembly/scratch.ts) add up to at least 125 bytes per class.
      expect(bytes).toBeGreaterThanOrEqual(125 * c);
      expect(bytes).toBeLessThan(200 * c + 100_000);
    }
  });

  for (const dtype of ['float32', 'float64'] as const) {
    it(`one row of 40 million classes (${dtype}) is INPUT_TOO_LARGE with the sizes, not a RuntimeError`, async () => {
      const backend = await createWasmBackend({ threads: 1 });
      const classes = 40_000_000;
      const input = dtype === 'float32' ? new Float32Array(classes) : new Float64Array(classes);
      const target = new Int32Array(classes);
      target[0] = -1; // no targets: the row's loss would be 0
      const error = await rejection(
        backend.forward({ data: input, shape: [classes] }, { data: target, shape: [classes] }),
      );
      expect(error).toBeInstanceOf(LossError);
      expect(isLossError(error, 'INPUT_TOO_LARGE')).toBe(true);
      const message = (error as LossError).message;
      const needed = Number(/needs (\d+) bytes/.exec(message)?.[1]);
      // Input, target and at least 125 bytes of scratch per class; the 4 GiB maximum.
      expect(needed).toBeGreaterThanOrEqual((125 + 4 + (dtype === 'float32' ? 4 : 8)) * classes);
      expect(message).toContain(`${MAX_PAGES * PAGE_BYTES} bytes available`);
      // The backend keeps working.
      const ok = await backend.forward(
        { data: new Float32Array([0.1, 0.2]), shape: [2] },
        { data: new Int32Array([1, -1]), shape: [2] },
      );
      expect(ok.data[0]).toBeCloseTo(0.45, 6);
      await backend.dispose();
    });
  }

  it('the same row with a gradient, on the threaded backend, is INPUT_TOO_LARGE too', async () => {
    const backend = await createWasmBackend({ threads: 2 });
    const classes = 36_000_000;
    const target = new Int32Array(classes);
    target[0] = -1;
    const error = await rejection(
      backend.forwardBackward(
        { data: new Float32Array(classes), shape: [classes] },
        { data: target, shape: [classes] },
      ),
    );
    expect(isLossError(error, 'INPUT_TOO_LARGE')).toBe(true);
    await backend.dispose();
  });
});
