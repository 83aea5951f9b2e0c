import {
  type Dtype,
  type FloatArray,
  type ILossBackend,
  isLossError,
  type LossErrorCode,
  type Tensor,
} from '@mlml/core-spec';
import type { CaseResult } from './runConformance.js';
import type { Difference } from './tolerance.js';

/** The dtypes a backend declares (known ones only). */
export function supportedDtypes(backend: ILossBackend): Dtype[] {
  const dtypes = backend.capabilities?.dtypes;
  return Array.isArray(dtypes) ? dtypes.filter((d): d is Dtype => d === 'float32' || d === 'float64') : [];
}

/** The 1 x 4 example of DESIGN §4 in `dtype`. */
export function tinyProblem(dtype: Dtype): { input: Tensor<FloatArray>; target: Tensor<Int32Array> } {
  const data =
    dtype === 'float32' ? new Float32Array([0.1, 0.2, 0.4, 0.8]) : new Float64Array([0.1, 0.2, 0.4, 0.8]);
  return { input: { data, shape: [1, 4] }, target: { data: new Int32Array([3, 0, -1, 1]), shape: [1, 4] } };
}

/** No difference when `run` rejects with a LossError of `code`; one otherwise. */
export async function expectError(
  call: string,
  run: () => Promise<unknown>,
  code: string,
): Promise<Difference[]> {
  try {
    await run();
  } catch (error) {
    if (isLossError(error, code as LossErrorCode)) return [];
    return [
      {
        call,
        tensor: 'error',
        message: `threw ${describeError(error)}, expected a LossError ${code}`,
        expected: code,
        actual: isLossError(error) ? error.code : describeError(error),
      },
    ];
  }
  return [
    {
      call,
      tensor: 'error',
      message: `succeeded, expected a LossError ${code}`,
      expected: code,
      actual: 'no error',
    },
  ];
}

/** A case result from its differences: passed when there are none. */
export function verdict(
  base: { id: string; group: string; source: string; dtype?: Dtype },
  differences: readonly Difference[],
): CaseResult {
  if (differences.length === 0) return { ...base, status: 'passed', differences };
  const first = differences[0]!;
  const more = differences.length > 1 ? ` (+${differences.length - 1} more)` : '';
  return { ...base, status: 'failed', reason: `${first.call}: ${first.message}${more}`, differences };
}

/** A short description of a thrown value. */
export function describeError(error: unknown): string {
  const oneLine = (message: string) => message.replace(/\s*\n\s*/g, ' ');
  if (isLossError(error)) return `LossError ${error.code}: ${oneLine(error.message)}`;
  if (error instanceof Error) return `${error.name}: ${oneLine(error.message)}`;
  return String(error);
}

/** A copy of a tensor (data and shape). */
export function copyTensor<A extends FloatArray | Int32Array>(
  tensor: Tensor<A>,
): { data: A; shape: number[] } {
  return { data: tensor.data.slice() as A, shape: [...tensor.shape] };
}

/** Whether two arrays hold the same bytes. */
export function sameBytes(a: FloatArray | Int32Array, b: FloatArray | Int32Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
