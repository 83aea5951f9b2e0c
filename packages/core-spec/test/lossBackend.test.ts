import { describe, expect, it } from 'vitest';
import {
  type FloatArray,
  LossBackend,
  type LossKernel,
  REFERENCE_CAPABILITIES,
  referenceKernel,
  type Tensor,
} from '../src/index.js';

const x: Tensor<FloatArray> = { data: new Float32Array([0.1, 0.2, 0.4, 0.8]), shape: [1, 4] };
const y: Tensor<Int32Array> = { data: new Int32Array([3, 0, -1, 1]), shape: [1, 4] };
const one: Tensor<FloatArray> = { data: new Float32Array([1]), shape: [] };

/** A kernel whose every call throws at once, as a kernel's own check would. */
const throwing: LossKernel = {
  forward: () => {
    throw new Error('kernel failed');
  },
  backward: () => {
    throw new Error('kernel failed');
  },
  forwardBackward: () => {
    throw new Error('kernel failed');
  },
};

describe('LossBackend', () => {
  it('never throws from a call: bad arguments and kernel errors reject its promise', async () => {
    const backend = new LossBackend('ref', REFERENCE_CAPABILITIES, referenceKernel);
    const bad = { data: new Int32Array([3, 0, -1, 1]), shape: [2, 2] };
    const calls: Promise<unknown>[] = [];
    expect(() => calls.push(backend.forward(x, bad))).not.toThrow();
    expect(() => calls.push(backend.backward(x, y, { data: new Float32Array(2), shape: [2] }))).not.toThrow();
    expect(() =>
      calls.push(backend.forwardBackward(x, y, undefined, { reductoin: 'sum' } as never)),
    ).not.toThrow();
    await expect(calls[0]).rejects.toMatchObject({ code: 'TARGET_SHAPE_MISMATCH' });
    await expect(calls[1]).rejects.toMatchObject({ code: 'GRAD_OUTPUT_SHAPE_MISMATCH' });
    await expect(calls[2]).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    const failing = new LossBackend('thrower', REFERENCE_CAPABILITIES, throwing);
    for (const call of [
      () => failing.forward(x, y),
      () => failing.backward(x, y, one),
      () => failing.forwardBackward(x, y),
    ]) {
      let promise: Promise<unknown> | undefined;
      expect(() => {
        promise = call();
      }).not.toThrow();
      await expect(promise).rejects.toThrow('kernel failed');
    }
  });

  it('gives a kernel value (computed before returning) and a kernel promise the same results', async () => {
    const deferred: LossKernel = {
      forward: (p) => Promise.resolve(referenceKernel.forward(p)),
      backward: (p) => Promise.resolve(referenceKernel.backward(p)),
      forwardBackward: (p) => Promise.resolve(referenceKernel.forwardBackward(p)),
    };
    const direct = new LossBackend('direct', REFERENCE_CAPABILITIES, referenceKernel);
    const later = new LossBackend('later', REFERENCE_CAPABILITIES, deferred);
    for (const backend of [direct, later]) {
      const forward = await backend.forward(x, y);
      expect(forward.shape).toEqual([]);
      expect(forward.data[0]).toBeCloseTo(0.85, 6);
      const { output, gradInput } = await backend.forwardBackward(x, y, undefined, { reduction: 'sum' });
      expect(output.data[0]).toBeCloseTo(0.85, 6);
      expect(Array.from(gradInput.data)).toEqual([-0.5, 0.5, 0.5, -0.5]);
      expect(gradInput.shape).toEqual([1, 4]);
      const gradient = await backend.backward(x, y, one);
      expect(Array.from(gradient.data)).toEqual([-0.5, 0.5, 0.5, -0.5]);
    }
  });
});
