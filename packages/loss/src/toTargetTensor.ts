import { LossError, type Tensor } from '@mlml/core-spec';
import { describe, flatten, isTensorLike, type NestedNumbers } from './toInputTensor.js';

/** Integer typed arrays accepted as targets. */
export type IntegerArray =
  | Int32Array
  | BigInt64Array
  | Int8Array
  | Int16Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/** Anything the torch-like API accepts as the target `y`. */
export type TargetLike =
  | NestedNumbers
  | IntegerArray
  | { readonly data: IntegerArray | readonly number[]; readonly shape: readonly number[] };

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Converts user targets to an `Int32Array` tensor. Values outside int32 are clamped to its ends,
 * which keeps them out of range (so validation still reports `TARGET_OUT_OF_RANGE` instead of a
 * wrapped, silently valid class).
 * @throws {LossError} `INVALID_DTYPE` for float arrays and non-integer values.
 */
export function toTargetTensor(target: TargetLike): Tensor<Int32Array> {
  if (isTensorLike(target)) {
    return { data: toInt32(target.data, 'target'), shape: [...target.shape] };
  }
  if (ArrayBuffer.isView(target)) {
    const data = toInt32(target, 'target');
    return { data, shape: [data.length] };
  }
  const { values, shape } = flatten(target, 'target');
  return { data: toInt32(values, 'target'), shape };
}

function toInt32(data: unknown, what: string): Int32Array {
  if (data instanceof Int32Array) return data;
  if (data instanceof Float32Array || data instanceof Float64Array) {
    throw new LossError(
      'INVALID_DTYPE',
      `${what} must hold integer class indices (Int32Array, BigInt64Array, integers), but got: ${describe(data)}`,
    );
  }
  if (
    !Array.isArray(data) &&
    !(data instanceof BigInt64Array || data instanceof BigUint64Array) &&
    !(
      data instanceof Int8Array ||
      data instanceof Int16Array ||
      data instanceof Uint8Array ||
      data instanceof Uint16Array ||
      data instanceof Uint32Array
    )
  ) {
    throw new LossError(
      'INVALID_DTYPE',
      `${what} must hold integer class indices, but got: ${describe(data)}`,
    );
  }
  const values = data as ArrayLike<unknown>;
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'bigint') {
      out[i] = v > BigInt(INT32_MAX) ? INT32_MAX : v < BigInt(INT32_MIN) ? INT32_MIN : Number(v);
    } else if (typeof v === 'number' && Number.isInteger(v)) {
      out[i] = Math.min(INT32_MAX, Math.max(INT32_MIN, v));
    } else {
      throw new LossError(
        'INVALID_DTYPE',
        `${what} must hold integer class indices, but element ${i} is ${describe(v)}`,
      );
    }
  }
  return out;
}
