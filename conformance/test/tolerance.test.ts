import { describe, expect, it } from 'vitest';
import {
  compareTensor,
  effectiveTolerance,
  PYTORCH_DRIFT,
  pytorchTolerance,
  REFERENCE_CAPABILITIES,
  TOLERANCE_LIMITS,
} from '../src/index.ts';

const f64 = (shape: number[], data: number[]) => ({ shape, data: Float64Array.from(data) });
const f32 = (shape: number[], data: number[]) => ({ shape, data: Float32Array.from(data) });
const tol = { rtol: 1e-5, atol: 0 };

describe('compareTensor', () => {
  it('requires equal shapes and the dtype array type', () => {
    expect(compareTensor('forward', 'output', f64([1], [1]), f64([], [1]), tol, 1)[0]?.message).toMatch(
      /shape \[1\], expected \[\]/,
    );
    expect(compareTensor('forward', 'output', f32([], [1]), f64([], [1]), tol, 1)[0]?.message).toMatch(
      /Float32Array/,
    );
    expect(compareTensor('forward', 'output', undefined, f64([], [1]), tol, 1)[0]?.message).toMatch(
      /instead of a tensor/,
    );
  });

  it('matches non-finite values exactly', () => {
    const expected = f64([3], [Number.NaN, Infinity, -Infinity]);
    expect(
      compareTensor('f', 'output', f64([3], [Number.NaN, Infinity, -Infinity]), expected, tol, 1),
    ).toEqual([]);
    expect(compareTensor('f', 'output', f64([3], [0, Infinity, -Infinity]), expected, tol, 1)[0]?.index).toBe(
      0,
    );
    expect(
      compareTensor('f', 'output', f64([3], [Number.NaN, -Infinity, -Infinity]), expected, tol, 1)[0]?.index,
    ).toBe(1);
    expect(
      compareTensor('f', 'output', f64([3], [Number.NaN, Infinity, 1e308]), expected, tol, 1)[0]?.index,
    ).toBe(2);
  });

  it('checks each value relative to its sample: gradient rows, each loss on its own', () => {
    // Row 0 scaled by grad_output 1e6, row 1 by 1e-6: row 1 is still checked at its own scale.
    const expected = f64([2, 3], [1e6, -2e6, 1e6, 1e-6, -2e-6, 1e-6]);
    const close = f64([2, 3], [1e6 + 1, -2e6, 1e6, 1e-6 * (1 + 1e-6), -2e-6, 1e-6]);
    expect(compareTensor('b', 'grad_input', close, expected, tol, 3)).toEqual([]);
    const wrongSmallRow = f64([2, 3], [1e6, -2e6, 1e6, 2e-6, -2e-6, 1e-6]);
    const [difference] = compareTensor('b', 'grad_input', wrongSmallRow, expected, tol, 3);
    expect(difference).toMatchObject({ index: 3, expected: 1e-6, actual: 2e-6 });
    expect(difference?.tolerance).toBeCloseTo(2e-11, 20);
    // A zero entry of a row is checked against the row's scale: one count off is caught.
    const counts = f64([1, 4], [0.5, -0.25, 0, 0.25]);
    expect(
      compareTensor('b', 'grad_input', f64([1, 4], [0.5, -0.25, 0.25, 0.25]), counts, tol, 4)[0]?.index,
    ).toBe(2);
    // Losses: each value on its own, so a zero loss must be zero.
    expect(compareTensor('f', 'output', f64([2], [5, 1e-12]), f64([2], [5, 0]), tol, 1)[0]?.index).toBe(1);
  });

  it('caps a declared tolerance at the suite limit', () => {
    const loose = {
      ...REFERENCE_CAPABILITIES,
      tolerance: { float32: { rtol: 1e-2, atol: 1 }, float64: { rtol: 1e-12, atol: 0 } },
    };
    expect(effectiveTolerance(loose, 'float32')).toEqual(TOLERANCE_LIMITS.float32);
    expect(effectiveTolerance(loose, 'float64')).toEqual({ rtol: 1e-12, atol: 0 });
    // A tight declaration is held as declared (against the exact values): nothing is added to it.
    const tight = { ...REFERENCE_CAPABILITIES, tolerance: { float32: { rtol: 1e-9, atol: 0 } } };
    expect(effectiveTolerance(tight, 'float32')).toEqual({ rtol: 1e-9, atol: 0 });
    // Against PyTorch's numbers, PyTorch's own drift is added.
    expect(pytorchTolerance({ rtol: 1e-9, atol: 0 }, 'float32')).toEqual({
      rtol: 1e-9 + PYTORCH_DRIFT.float32,
      atol: 0,
    });
    // A malformed declaration counts as the limit.
    const malformed = { ...REFERENCE_CAPABILITIES, tolerance: { float32: { rtol: Number.NaN, atol: -1 } } };
    expect(effectiveTolerance(malformed, 'float32')).toEqual(TOLERANCE_LIMITS.float32);
    expect(
      effectiveTolerance(
        { ...REFERENCE_CAPABILITIES, tolerance: { float32: { rtol: 7e-6, atol: 0 } } },
        'float32',
      ).rtol,
    ).toBe(7e-6);
    expect(TOLERANCE_LIMITS.float32.rtol).toBe(1e-5);
    expect(TOLERANCE_LIMITS.float64.rtol).toBe(1e-10);
  });
});
