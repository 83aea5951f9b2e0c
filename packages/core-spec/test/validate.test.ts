import { describe, expect, it } from 'vitest';
import {
  type FloatArray,
  isLossError,
  type LossErrorCode,
  type Tensor,
  validateBackward,
  validateForward,
} from '../src/index.js';

const f32 = (data: number[], shape: number[]): Tensor<FloatArray> => ({
  data: new Float32Array(data),
  shape,
});
const i32 = (data: number[], shape: number[]): Tensor<Int32Array> => ({ data: new Int32Array(data), shape });

function errorOf(call: () => unknown): { code: LossErrorCode; message: string } {
  try {
    call();
  } catch (error) {
    if (isLossError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a LossError');
}

describe('validation', () => {
  const x = f32([1, 2, 3, 4], [1, 4]);
  const y = i32([0, -1, 0, 0], [1, 4]);

  it('INVALID_REDUCTION with PyTorch wording', () => {
    const e = errorOf(() => validateForward(x, y, { reduction: 'avg' as never }));
    expect(e.code).toBe('INVALID_REDUCTION');
    expect(e.message).toContain('avg is not a valid value for reduction');
  });

  it('INVALID_DTYPE for non-float input, non-int32 target and wrong data length', () => {
    expect(errorOf(() => validateForward({ data: [1, 2] as never, shape: [2] }, y, {})).code).toBe(
      'INVALID_DTYPE',
    );
    const badTarget = errorOf(() =>
      validateForward(x, { data: new Float32Array(4) as never, shape: [1, 4] }, {}),
    );
    expect(badTarget.code).toBe('INVALID_DTYPE');
    expect(badTarget.message).toContain('Float32Array');
    const badLength = errorOf(() => validateForward(f32([1, 2, 3], [1, 4]), y, {}));
    expect(badLength.code).toBe('INVALID_DTYPE');
    expect(badLength.message).toContain('3 elements');
    expect(errorOf(() => validateForward(f32([1], [-1]), y, {})).code).toBe('INVALID_DTYPE');
  });

  it('INVALID_SHAPE for rank > 2 and C == 0, with PyTorch wording', () => {
    const e = errorOf(() => validateForward(f32([], [5, 0]), i32([], [5, 0]), {}));
    expect(e.code).toBe('INVALID_SHAPE');
    expect(e.message).toContain(
      'Expected non-empty vector or matrix with optional 0-dim batch size, but got: [5, 0]',
    );
    expect(errorOf(() => validateForward(f32([], [0]), i32([], [0]), {})).message).toContain('but got: [0]');
    expect(errorOf(() => validateForward(f32([1, 2], [1, 1, 2]), i32([0, 1], [1, 1, 2]), {})).code).toBe(
      'INVALID_SHAPE',
    );
  });

  it('TARGET_SHAPE_MISMATCH with PyTorch wording', () => {
    const e = errorOf(() => validateForward(f32(new Array(20).fill(0), [5, 4]), i32([0, 1, 2, 3], [4]), {}));
    expect(e.code).toBe('TARGET_SHAPE_MISMATCH');
    expect(e.message).toContain('inconsistent target size: [4] for input of size: [5, 4]');
    expect(errorOf(() => validateForward(f32([1, 2], [2]), i32([0, 1, 1], [3]), {})).code).toBe(
      'TARGET_SHAPE_MISMATCH',
    );
    expect(errorOf(() => validateForward(f32([1, 2], [2]), i32([0, 1], [1, 2]), {})).code).toBe(
      'TARGET_SHAPE_MISMATCH',
    );
  });

  it('TARGET_OUT_OF_RANGE, also after the first -1', () => {
    const e = errorOf(() => validateForward(x, i32([0, -1, 4, 0], [1, 4]), {}));
    expect(e.code).toBe('TARGET_OUT_OF_RANGE');
    expect(e.message).toContain("argument #2 'target' is out of range");
    expect(errorOf(() => validateForward(x, i32([-2, 0, 0, 0], [1, 4]), {})).code).toBe(
      'TARGET_OUT_OF_RANGE',
    );
  });

  it('TARGET_OUT_OF_RANGE finds the first bad target anywhere in long targets (block scan)', () => {
    // Lengths around the scan's 4096-target blocks and its 4-target steps; bad values at block
    // edges, in the tail, and at the int32 extremes (where v + 1 or C - 1 - v overflows).
    const classes = 7;
    for (const length of [1, 3, 4, 5, 4095, 4096, 4097, 8195, 12289]) {
      const rows = length;
      const input = { data: new Float32Array(rows * classes), shape: [rows, classes] };
      const good = new Int32Array(rows * classes);
      for (let i = 0; i < good.length; i++) good[i] = (i % (classes + 1)) - 1;
      expect(() => validateForward(input, { data: good, shape: [rows, classes] }, {})).not.toThrow();
      const total = good.length;
      const positions = [0, 1, 3, 4095, 4096, 4097, total - 4, total - 2, total - 1].filter((p) => p < total);
      for (const at of positions) {
        for (const bad of [classes, -2, 2 ** 31 - 1, -(2 ** 31), 1000]) {
          const target = good.slice();
          target[at] = bad;
          // A later bad value must not be reported before the first one.
          if (at + 1 < total) target[total - 1] = classes + 5;
          const e = errorOf(() => validateForward(input, { data: target, shape: [rows, classes] }, {}));
          expect(e.code).toBe('TARGET_OUT_OF_RANGE');
          expect(e.message).toContain(`found ${bad} at index ${at},`);
        }
      }
    }
  });

  it('TARGET_OUT_OF_RANGE accepts exactly -1 and C - 1 at the edges of the range', () => {
    const target = new Int32Array(4 * 4100).fill(-1);
    target[4099] = 3;
    target[target.length - 1] = 3;
    const input = { data: new Float32Array(target.length), shape: [4100, 4] };
    expect(() => validateForward(input, { data: target, shape: [4100, 4] }, {})).not.toThrow();
    target[4099] = 4;
    expect(errorOf(() => validateForward(input, { data: target, shape: [4100, 4] }, {})).message).toContain(
      'found 4 at index 4099,',
    );
  });

  it('GRAD_OUTPUT_SHAPE_MISMATCH names both shapes', () => {
    const e = errorOf(() => validateBackward(x, y, f32([1], []), { reduction: 'none' }));
    expect(e.code).toBe('GRAD_OUTPUT_SHAPE_MISMATCH');
    expect(e.message).toContain('[1]');
    expect(e.message).toContain('[]');
    const scalar = errorOf(() => validateBackward(x, y, f32([1, 1], [2]), { reduction: 'mean' }));
    expect(scalar.message).toContain('[2]');
    expect(scalar.message).toContain('[]');
  });

  it('UNSUPPORTED_DTYPE and BACKEND_DISPOSED come from the backend context, after argument errors', () => {
    const ctx = { backend: 'gpu', dtypes: ['float32'] as const, disposed: true };
    const x64 = { data: new Float64Array(4), shape: [1, 4] };
    const e = errorOf(() => validateForward(x64, y, {}, ctx));
    expect(e.code).toBe('UNSUPPORTED_DTYPE');
    expect(e.message).toContain('gpu');
    expect(e.message).toContain('float64');
    expect(errorOf(() => validateForward(x, y, {}, ctx)).code).toBe('BACKEND_DISPOSED');
    expect(errorOf(() => validateForward(x, i32([9, 0, 0, 0], [1, 4]), {}, ctx)).code).toBe(
      'TARGET_OUT_OF_RANGE',
    );
  });

  it('checks in DESIGN order: reduction before dtype before shape before target', () => {
    expect(
      errorOf(() =>
        validateForward({ data: null as never, shape: [9, 9, 9] }, y, { reduction: 'x' as never }),
      ).code,
    ).toBe('INVALID_REDUCTION');
    expect(
      errorOf(() => validateForward(f32([1], [1, 1, 1]), { data: null as never, shape: [] }, {})).code,
    ).toBe('INVALID_DTYPE');
    expect(errorOf(() => validateForward(f32([1], [1, 1, 1]), i32([5], [1]), {})).code).toBe('INVALID_SHAPE');
    expect(errorOf(() => validateForward(x, i32([9], [1]), {})).code).toBe('TARGET_SHAPE_MISMATCH');
  });

  it('gives shapes: [N] for none on 2-D, [] otherwise, and 0-dim/1-D as one sample', () => {
    expect(validateForward(x, y, { reduction: 'none' }).outputShape).toEqual([1]);
    expect(validateForward(x, y, {}).outputShape).toEqual([]);
    const oneD = validateForward(f32([1, 2, 3], [3]), i32([0, -1, 0], [3]), { reduction: 'none' });
    expect([oneD.batch, oneD.classes, oneD.outputShape]).toEqual([1, 3, []]);
    const zeroD = validateForward(f32([1], []), i32([0], []), { reduction: 'none' });
    expect([zeroD.batch, zeroD.classes, zeroD.outputShape]).toEqual([1, 1, []]);
    const zeroDTarget1D = validateForward(f32([1], []), i32([0], [1]), {});
    expect(zeroDTarget1D.classes).toBe(1);
  });
});
