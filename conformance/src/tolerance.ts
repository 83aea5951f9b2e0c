import type { BackendCapabilities, Dtype, FloatArray, Tensor, Tolerance } from '@mlml/core-spec';

/**
 * The loosest tolerance the suite accepts, whatever a backend declares: float32 within 1e-5 and
 * float64 within 1e-10 of the sample's scale. `atol` only covers subnormal results flushed to zero.
 */
export const TOLERANCE_LIMITS: Readonly<Record<Dtype, Tolerance>> = {
  float32: { rtol: 1e-5, atol: 1e-35 },
  float64: { rtol: 1e-10, atol: 1e-300 },
};

/**
 * How far PyTorch's own numbers may be from the exact ones, relative to the sample's scale: the
 * generator refuses a golden case where they are farther (PyTorch 1.13 rounds each float32 term to
 * float32 and accumulates float32 gradients by repeated `+= g`). A result is held to PyTorch's
 * numbers within the backend's tolerance plus this.
 */
export const PYTORCH_DRIFT: Readonly<Record<Dtype, number>> = { float32: 2e-6, float64: 1e-12 };

/**
 * The tolerance a backend is held to against the EXACT values for `dtype`: what it declares in
 * `capabilities.tolerance`, capped by {@link TOLERANCE_LIMITS} (a declaration that is missing or
 * not a non-negative number counts as the limit). Nothing is added: a backend declaring rtol 1e-6
 * must be within 1e-6 of the exact value.
 */
export function effectiveTolerance(capabilities: BackendCapabilities, dtype: Dtype): Tolerance {
  const limit = TOLERANCE_LIMITS[dtype];
  const declared = capabilities.tolerance?.[dtype];
  if (declared === undefined) return limit;
  const pick = (value: number, cap: number) =>
    typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.min(value, cap) : cap;
  return { rtol: pick(declared.rtol, limit.rtol), atol: pick(declared.atol, limit.atol) };
}

/**
 * The tolerance against PyTorch's numbers: `tolerance` (against the exact values) widened by
 * {@link PYTORCH_DRIFT}, since |actual - PyTorch| <= |actual - exact| + |exact - PyTorch|.
 */
export function pytorchTolerance(tolerance: Tolerance, dtype: Dtype): Tolerance {
  return { rtol: tolerance.rtol + PYTORCH_DRIFT[dtype], atol: tolerance.atol };
}

/** Which tensor of a call differed. */
export type TensorName = 'output' | 'grad_input';

/** One way a result differed from the expected one. */
export interface Difference {
  /** The call that produced it: `forward`, `backward`, `forwardBackward`, ... */
  readonly call: string;
  /** What differed: a result tensor, an input that was mutated, the error, the result's type. */
  readonly tensor: TensorName | 'input' | 'target' | 'grad_output' | 'error' | 'result';
  /** What is wrong, in words. */
  readonly message: string;
  /** The flat index of the first differing value, when values differ. */
  readonly index?: number;
  /** The expected value (or shape, or error code). */
  readonly expected?: number | string;
  /** The value the backend gave. */
  readonly actual?: number | string;
  /** The largest allowed |actual - expected| at that index. */
  readonly tolerance?: number;
  /** What `expected` is: `exact` (DESIGN §2's exact value), `PyTorch`, or `expected` (a file's value). */
  readonly reference?: string;
  /** The offending sample in words: its row of input and target (trimmed), when known. */
  readonly context?: string | undefined;
}

/**
 * Compares a result with the expected tensor. Shapes must be equal, the array type the dtype's,
 * NaN must meet NaN and ±inf the same infinity, and a finite value `e` accepts `a` when
 *
 *     |a - e| <= atol + rtol * max(|e|, scale)
 *
 * where `scale` is the largest finite |e| of the same sample: the value itself for the loss (per
 * sample or reduced), the row of classes for the gradient. A gradient row's entries are multiples
 * of one unit `g * grad_output[n]`, and that row's largest entry is what rounding errors are
 * proportional to; taking the row (not the whole tensor) keeps a row scaled by a tiny
 * `grad_output` checked at its own scale next to a row scaled by a huge one.
 * Reports up to `limit` differences (the first ones by index); `reference` names what `expected`
 * is in messages (`exact`, `PyTorch`, or the default `expected`).
 */
export function compareTensor(
  call: string,
  tensor: TensorName,
  actual: Tensor<FloatArray> | undefined,
  expected: Tensor<FloatArray>,
  tolerance: Tolerance,
  sampleSize: number,
  limit = 3,
  reference = 'expected',
): Difference[] {
  const show = (shape: readonly number[]) => `[${shape.join(', ')}]`;
  if (
    actual === null ||
    typeof actual !== 'object' ||
    actual.data === undefined ||
    !Array.isArray(actual.shape)
  ) {
    return [{ call, tensor, message: `returned ${String(actual)} instead of a tensor` }];
  }
  if (
    actual.shape.length !== expected.shape.length ||
    actual.shape.some((size, i) => size !== expected.shape[i])
  ) {
    return [
      {
        call,
        tensor,
        message: `shape ${show(actual.shape)}, expected ${show(expected.shape)}`,
        expected: show(expected.shape),
        actual: show(actual.shape),
      },
    ];
  }
  if (actual.data.constructor !== expected.data.constructor) {
    return [
      {
        call,
        tensor,
        message: `data is a ${actual.data?.constructor?.name}, expected a ${expected.data.constructor.name}`,
        expected: expected.data.constructor.name,
        actual: String(actual.data?.constructor?.name),
      },
    ];
  }
  if (actual.data.length !== expected.data.length) {
    return [
      {
        call,
        tensor,
        message: `data has ${actual.data.length} values, its shape needs ${expected.data.length}`,
        expected: expected.data.length,
        actual: actual.data.length,
      },
    ];
  }
  const differences: Difference[] = [];
  const e = expected.data;
  const a = actual.data;
  const size = Math.max(1, sampleSize);
  for (let start = 0; start < e.length && differences.length < limit; start += size) {
    const end = Math.min(e.length, start + size);
    let scale = 0;
    for (let i = start; i < end; i++) {
      const magnitude = Math.abs(e[i]!);
      if (Number.isFinite(magnitude) && magnitude > scale) scale = magnitude;
    }
    const allowed = tolerance.atol + tolerance.rtol * scale;
    for (let i = start; i < end && differences.length < limit; i++) {
      const ev = e[i]!;
      const av = a[i]!;
      const ok = Number.isFinite(ev)
        ? Math.abs(av - ev) <= allowed
        : Number.isNaN(ev)
          ? Number.isNaN(av)
          : av === ev;
      if (!ok) {
        differences.push({
          call,
          tensor,
          message: `${tensor}[${i}] is ${av}, ${reference === 'expected' ? 'expected' : `${reference} value`} ${ev}${Number.isFinite(ev) ? ` ± ${allowed.toPrecision(3)}` : ''}`,
          index: i,
          expected: ev,
          actual: av,
          tolerance: allowed,
          reference,
        });
      }
    }
  }
  return differences;
}
