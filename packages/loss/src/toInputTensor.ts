import {
  type Dtype,
  type FloatArray,
  type GpuTensor,
  isGpuTensor,
  LossError,
  type Tensor,
} from '@mlml/core-spec';

/** A nested array of numbers: a scalar, a vector or a matrix (deeper nesting is rejected by validation). */
export type NestedNumbers = number | readonly NestedNumbers[];

/** Anything the torch-like API accepts as the input `x`. */
export type InputLike =
  | NestedNumbers
  | FloatArray
  | Tensor<FloatArray>
  | { readonly data: readonly number[]; readonly shape: readonly number[] }
  | GpuTensor;

/**
 * Converts user input to a float tensor without copying typed arrays (backends never mutate).
 * Nested arrays and plain number arrays become `dtype` (float32 by default, like `torch.tensor`).
 * @throws {LossError} `INVALID_OPTIONS` for a dtype other than `'float32'`/`'float64'`,
 *   `INVALID_DTYPE` for non-numbers, `INVALID_SHAPE` for ragged arrays.
 */
export function toInputTensor(input: InputLike, dtype: Dtype = 'float32'): Tensor<FloatArray> {
  checkDtype(dtype);
  // A GpuTensor goes to the backend as it is (webgpu takes it; others reject it, UNSUPPORTED_LOCATION).
  if (isGpuTensor(input)) return input as unknown as Tensor<FloatArray>;
  if (input instanceof Float32Array || input instanceof Float64Array) {
    return { data: input, shape: [input.length] };
  }
  if (isTensorLike(input)) {
    const { data, shape } = input;
    if (data instanceof Float32Array || data instanceof Float64Array) return { data, shape: [...shape] };
    if (Array.isArray(data))
      return { data: toFloatArray(data as unknown[], dtype, 'input'), shape: [...shape] };
    throw new LossError(
      'INVALID_DTYPE',
      `input tensor data must be a Float32Array, Float64Array or number[], but got: ${describe(data)}`,
    );
  }
  const { values, shape } = flatten(input, 'input');
  return { data: toFloatArray(values, dtype, 'input'), shape };
}

/**
 * Checks a dtype option: only `'float32'` and `'float64'` exist (never a silent float32).
 * @throws {LossError} `INVALID_OPTIONS` naming the value given.
 */
export function checkDtype(dtype: unknown): asserts dtype is Dtype {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new LossError(
      'INVALID_OPTIONS',
      `dtype must be 'float32' or 'float64', but got: ${typeof dtype === 'string' ? `'${dtype}'` : describe(dtype)}`,
    );
  }
}

/** Whether a value looks like `{ data, shape }`. */
export function isTensorLike(value: unknown): value is { data: unknown; shape: readonly number[] } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    'data' in value &&
    'shape' in value &&
    Array.isArray((value as { shape: unknown }).shape)
  );
}

/**
 * Flattens a nested array row-major, checking that it is rectangular.
 * @throws {LossError} `INVALID_SHAPE` for ragged arrays.
 */
export function flatten(value: unknown, what: string): { values: unknown[]; shape: number[] } {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const values: unknown[] = [];
  const walk = (node: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (Array.isArray(node)) throw ragged(what, path);
      values.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) throw ragged(what, path);
    for (let i = 0; i < node.length; i++) walk(node[i], depth + 1, `${path}[${i}]`);
  };
  walk(value, 0, '');
  return { values, shape };
}

function ragged(what: string, path: string): LossError {
  return new LossError(
    'INVALID_SHAPE',
    `${what} is a ragged nested array: ${what}${path} does not match the shape of its siblings`,
  );
}

function toFloatArray(values: readonly unknown[], dtype: Dtype, what: string): FloatArray {
  const out = dtype === 'float64' ? new Float64Array(values.length) : new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') {
      throw new LossError(
        'INVALID_DTYPE',
        `${what} must contain numbers, but element ${i} is ${describe(v)}`,
      );
    }
    out[i] = v;
  }
  return out;
}

/** A short description of a value's type for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return `${typeof value} ${String(value)}`;
}
