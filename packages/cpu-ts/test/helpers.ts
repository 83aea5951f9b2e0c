import {
  type FloatArray,
  type LossOptions,
  referenceBackward,
  referenceForward,
  type Tensor,
  validateBackward,
} from '@mlml/core-spec';

/** One call's arguments. */
export interface Case {
  readonly input: Tensor<FloatArray>;
  readonly target: Tensor<Int32Array>;
  readonly gradOutput: Tensor<FloatArray>;
  readonly options: LossOptions;
}

/** What the reference gives for a case: output and gradient data. */
export function expected(c: Case): { output: FloatArray; gradInput: FloatArray } {
  const problem = validateBackward(c.input, c.target, c.gradOutput, c.options);
  if (problem.batch === 0) throw new Error('expected() is for non-empty batches');
  return { output: referenceForward(problem), gradInput: referenceBackward(problem) };
}

/**
 * The first index where `actual` is not within `rtol` of `expected` (relative to each expected
 * value; NaN must meet NaN, infinities the same infinity), or -1.
 */
export function firstMismatch(actual: FloatArray, expectedData: FloatArray, rtol: number): number {
  if (actual.length !== expectedData.length) return 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expectedData[i]!;
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      if (!Object.is(a, e)) return i;
    } else if (!(Math.abs(a - e) <= rtol * Math.abs(e))) return i;
  }
  return -1;
}

/** The first index where the arrays differ in bits (`Object.is`, so -0 differs from 0), or -1. */
export function firstBitDifference(actual: FloatArray, expectedData: FloatArray): number {
  if (actual.length !== expectedData.length) return 0;
  for (let i = 0; i < actual.length; i++) if (!Object.is(actual[i], expectedData[i])) return i;
  return -1;
}

/** The float32 value next to `value` towards +inf (`direction` 1) or -inf (-1). */
export function nextFloat32(value: number, direction: 1 | -1): number {
  const f = new Float32Array([value]);
  const bits = new Int32Array(f.buffer);
  if (value === 0) {
    bits[0] = direction > 0 ? 1 : 0x80000001 | 0;
    return f[0]!;
  }
  bits[0]! += value > 0 === direction > 0 ? 1 : -1;
  return f[0]!;
}

/** Copies a tensor's data, to check later that nothing was mutated. */
export function snapshot(c: Case): FloatArray[] {
  return [c.input.data.slice(), c.gradOutput.data.slice()];
}
