import { describe, expect, it } from 'vitest';
import {
  type FloatArray,
  findTargetOutOfRange,
  isLossError,
  LossBackend,
  type LossKernel,
  type Problem,
  REFERENCE_CAPABILITIES,
  referenceKernel,
  type Tensor,
  targetOutOfRangeError,
  validateBackward,
  validateForward,
} from '../src/index.js';

const x: Tensor<FloatArray> = { data: new Float32Array([0.1, 0.2, 0.4, 0.8]), shape: [1, 4] };
const bad: Tensor<Int32Array> = { data: new Int32Array([3, -1, 9, 1]), shape: [1, 4] };
const good: Tensor<Int32Array> = { data: new Int32Array([3, 0, -1, 1]), shape: [1, 4] };
const checking = {
  backend: 'k',
  dtypes: ['float32'] as const,
  disposed: false,
  kernelChecksTargetRange: true,
};

async function codeOf(call: () => unknown): Promise<string> {
  try {
    await call();
  } catch (error) {
    if (isLossError(error)) return error.code;
    throw error;
  }
  return 'no error';
}

/** A kernel that checks the range itself, as `checksTargetRange` asks, and records what it saw. */
function rangeCheckingKernel(seen: Problem[]): LossKernel {
  const check = (problem: Problem) => {
    seen.push(problem);
    const index = findTargetOutOfRange(problem.target, problem.classes);
    if (index >= 0) throw targetOutOfRangeError(problem.target, index, problem.classes);
  };
  return {
    checksTargetRange: true,
    forward(problem) {
      check(problem);
      return referenceKernel.forward(problem);
    },
    backward(problem) {
      check(problem);
      return referenceKernel.backward(problem);
    },
    forwardBackward(problem) {
      check(problem);
      return referenceKernel.forwardBackward(problem);
    },
  };
}

describe('a kernel that checks the target range itself', () => {
  it('gets the call with an unscanned target, and its error is the shared one', async () => {
    expect(validateForward(x, bad, {}, checking).target).toBe(bad.data);
    const seen: Problem[] = [];
    const backend = new LossBackend('k', REFERENCE_CAPABILITIES, rangeCheckingKernel(seen));
    const error = await backend.forward(x, bad).catch((e: unknown) => e);
    expect(isLossError(error, 'TARGET_OUT_OF_RANGE')).toBe(true);
    expect((error as Error).message).toBe(
      "argument #2 'target' is out of range: found 9 at index 2, expected values in [-1, 3]",
    );
    expect(seen).toHaveLength(1);
    expect((await backend.forward(x, good)).data[0]).toBeCloseTo(0.85, 6);
  });

  it('still reports an out-of-range target before the rules that come after it', async () => {
    const wrongGrad: Tensor<FloatArray> = { data: new Float32Array(2), shape: [2] };
    const x64: Tensor<FloatArray> = { data: new Float64Array(4), shape: [1, 4] };
    expect(await codeOf(() => validateBackward(x, bad, wrongGrad, {}, checking))).toBe('TARGET_OUT_OF_RANGE');
    expect(await codeOf(() => validateForward(x64, bad, {}, checking))).toBe('TARGET_OUT_OF_RANGE');
    expect(await codeOf(() => validateForward(x, bad, {}, { ...checking, disposed: true }))).toBe(
      'TARGET_OUT_OF_RANGE',
    );
    // With the target in range, the later rule is the one reported.
    expect(await codeOf(() => validateBackward(x, good, wrongGrad, {}, checking))).toBe(
      'GRAD_OUTPUT_SHAPE_MISMATCH',
    );
    const seen: Problem[] = [];
    const backend = new LossBackend('k', REFERENCE_CAPABILITIES, rangeCheckingKernel(seen));
    await backend.dispose();
    expect(await codeOf(() => backend.forward(x, bad))).toBe('TARGET_OUT_OF_RANGE');
    expect(await codeOf(() => backend.forward(x, good))).toBe('BACKEND_DISPOSED');
    expect(seen).toHaveLength(0);
  });

  it('findTargetOutOfRange answers the first index outside [-1, C - 1]', () => {
    const t = new Int32Array(10_000).fill(-1);
    expect(findTargetOutOfRange(t, 5)).toBe(-1);
    t[9_000] = 5;
    t[9_500] = -2;
    expect(findTargetOutOfRange(t, 5)).toBe(9_000);
    expect(findTargetOutOfRange(t, 6)).toBe(9_500);
  });

  it('findTargetOutOfRange agrees with a plain scan at every position of unrolled and tail groups', () => {
    const plain = (t: Int32Array, classes: number) => t.findIndex((v) => v < -1 || v >= classes);
    for (const length of [1, 7, 8, 9, 15, 16, 17, 4095, 4096, 4097, 8200]) {
      for (const classes of [1, 3, 0x7fffffff]) {
        const t = new Int32Array(length).map((_, i) => (i % 3) - 1).map((v) => Math.min(v, classes - 1));
        expect(findTargetOutOfRange(t, classes)).toBe(-1);
        for (const at of new Set(
          [0, 1, 7, 8, length >> 1, length - 8, length - 1].filter((i) => i >= 0 && i < length),
        )) {
          for (const bad of [-2, classes, -0x80000000, 0x7fffffff]) {
            if (bad >= -1 && bad < classes) continue;
            const copy = t.slice();
            copy[at] = bad;
            expect(findTargetOutOfRange(copy, classes)).toBe(plain(copy, classes));
          }
        }
      }
    }
  });
});

describe('dispose with calls in flight', () => {
  it('lets calls in flight complete, then releases the kernel; later calls reject', async () => {
    const events: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: LossKernel = {
      ...referenceKernel,
      forward: async (problem: Problem) => {
        await gate;
        events.push('forward done');
        return referenceKernel.forward(problem);
      },
      dispose: () => {
        events.push('kernel disposed');
      },
    };
    const backend = new LossBackend('slow', REFERENCE_CAPABILITIES, slow);
    const call = backend.forward(x, good, { reduction: 'sum' });
    const disposed = backend.dispose();
    await Promise.resolve();
    expect(events).toEqual([]);
    release();
    const loss = await call;
    await disposed;
    expect(Math.abs(loss.data[0]! - 0.85)).toBeLessThan(1e-6);
    expect(events).toEqual(['forward done', 'kernel disposed']);
    expect(await codeOf(() => backend.forward(x, good))).toBe('BACKEND_DISPOSED');
  });
});
