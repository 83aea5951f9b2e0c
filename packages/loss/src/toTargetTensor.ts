import { type GpuTensor, isGpuTensor, LossError, type Tensor } from '@mlml/core-spec';
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
  | { readonly data: IntegerArray | readonly number[]; readonly shape: readonly number[] }
  | GpuTensor;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * The values outside int32 that {@link toTargetTensor} clamped, by index, as the user wrote them
 * (the API reports them in a `TARGET_OUT_OF_RANGE` message instead of the clamped value).
 */
const clampedValues = new WeakMap<Int32Array, Map<number, string>>();

/** The user's own value at `index` of a converted target, when it was clamped to fit int32. */
export function clampedTargetValue(data: Int32Array, index: number): string | undefined {
  return clampedValues.get(data)?.get(index);
}

/**
 * Converts user targets to an `Int32Array` tensor. Values outside int32 are clamped to its ends,
 * which keeps them out of range (so validation still reports `TARGET_OUT_OF_RANGE` instead of a
 * wrapped, silently valid class); the torch-like API's error then names the value as given
 * (`clampedTargetValue`).
 * @throws {LossError} `INVALID_DTYPE` for float arrays and non-integer values.
 */
export function toTargetTensor(target: TargetLike): Tensor<Int32Array> {
  // A GpuTensor goes to the backend as it is (webgpu takes it; others reject it, UNSUPPORTED_LOCATION).
  if (isGpuTensor(target)) return target as unknown as Tensor<Int32Array>;
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
  const clamped = new Map<number, string>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number' && Number.isInteger(v)) {
      if (v > INT32_MAX || v < INT32_MIN) {
        out[i] = v > 0 ? INT32_MAX : INT32_MIN;
        clamped.set(i, BigInt(v).toString());
      } else {
        out[i] = v;
      }
    } else if (typeof v === 'bigint') {
      if (v > BigInt(INT32_MAX) || v < BigInt(INT32_MIN)) {
        out[i] = v > 0n ? INT32_MAX : INT32_MIN;
        clamped.set(i, v.toString());
      } else {
        out[i] = Number(v);
      }
    } else {
      throw new LossError(
        'INVALID_DTYPE',
        `${what} must hold integer class indices, but element ${i} is ${describe(v)}`,
      );
    }
  }
  if (clamped.size > 0) clampedValues.set(out, clamped);
  return out;
}
